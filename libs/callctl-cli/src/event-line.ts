import { type callControl, callEvents } from '@callctl/proto';

/** `END_CAUSE_REMOTE_HANGUP` -> `remote-hangup`: the enum name people read, without its type prefix. */
export function enumWord(json: string, prefix: string): string {
  return json.replace(prefix, '').toLowerCase().replace(/_/g, '-');
}

export const causeWord = (cause: callEvents.EndCause) =>
  enumWord(callEvents.endCauseToJSON(cause), 'END_CAUSE_');

const quoted = (text: string) => JSON.stringify(text);

/** The facts of one event after its type, as `key=value` words. */
function detailsOf(event: KnownEvent): string[] {
  switch (event.$case) {
    case 'callCreated': {
      const e = event.callCreated;
      return [
        ...(e.maxDurationMs ? [`max-duration=${e.maxDurationMs}ms`] : []),
        ...(e.clientState ? [`client-state=${quoted(e.clientState)}`] : []),
      ];
    }
    case 'legInitiated': {
      const e = event.legInitiated;
      const direction = enumWord(callEvents.legDirectionToJSON(e.direction), 'LEG_DIRECTION_');
      return [
        `leg=${e.legId}`,
        direction,
        `from=${e.fromUri}`,
        `to=${e.toUri}`,
        // Where sip-edge classified it (issue #19): a trunk, a phone's user, where the dial plan routes it.
        ...(e.trunk ? [`trunk=${e.trunk}`] : []),
        ...(e.user ? [`user=${e.user}`] : []),
        ...(e.routedTo ? [`routed-to=${e.routedTo}`] : []),
      ];
    }
    case 'legRinging':
      return [`leg=${event.legRinging.legId}`, ...(event.legRinging.earlyMedia ? ['early-media'] : [])];
    case 'legAnswered':
      return [`leg=${event.legAnswered.legId}`];
    case 'legEnded': {
      const e = event.legEnded;
      return [
        `leg=${e.legId}`,
        `cause=${causeWord(e.cause)}`,
        ...(e.sipStatus ? [`sip=${e.sipStatus}`] : []),
        ...(e.reason ? [`reason=${quoted(e.reason)}`] : []),
        // The far end's own Reason header (RFC 3326): `peer-reason=Q.850;cause=17 "User busy"`.
        ...(e.receivedReason
          ? [
              `peer-reason=${e.receivedReason.protocol};cause=${e.receivedReason.cause}`,
              ...(e.receivedReason.text ? [quoted(e.receivedReason.text)] : []),
            ]
          : []),
      ];
    }
    case 'callEnded':
      return [`cause=${causeWord(event.callEnded.cause)}`, `talk=${event.callEnded.talkDurationMs}ms`];
    case 'playbackStarted': {
      const e = event.playbackStarted;
      return [
        `leg=${e.legId}`,
        `playback=${e.playbackId}`,
        `media=${e.mediaUri}`,
        ...(e.source ? [`source=${e.source}`] : []),
        ...(e.ttsFallbackFrom ? [`fallback-from=${e.ttsFallbackFrom}`] : []),
        ...(e.collectId ? [`collect=${e.collectId}`] : []),
        ...(e.durationMs ? [`duration=${e.durationMs}ms`] : []),
        ...(e.repeat > 1 ? [`repeat=${e.repeat}`] : []),
      ];
    }
    case 'playbackFinished': {
      const e = event.playbackFinished;
      const reason = enumWord(callEvents.playbackEndReasonToJSON(e.reason), 'PLAYBACK_END_REASON_');
      // A prompt stopped by barge-in reads `reason=stopped collect=k1`.
      return [
        `leg=${e.legId}`,
        `playback=${e.playbackId}`,
        `reason=${reason}`,
        ...(e.collectId ? [`collect=${e.collectId}`] : []),
      ];
    }
    case 'dtmfReceived': {
      const e = event.dtmfReceived;
      return [
        `leg=${e.legId}`,
        `digit=${e.digit}`,
        ...(e.method ? [`method=${dtmfMethodWord(e.method)}`] : []),
        ...(e.collectId ? [`collect=${e.collectId}`] : []),
      ];
    }
    case 'digitCollectionStarted': {
      const e = event.digitCollectionStarted;
      return [
        `leg=${e.legId}`,
        `collect=${e.collectId}`,
        `max-digits=${e.maxDigits}`,
        ...(e.terminators ? [`terminators=${quoted(e.terminators)}`] : []),
        ...(e.prompts.length > 0 ? [`prompts=${e.prompts.length}`] : []),
        ...(e.bargeIn ? ['barge-in'] : []),
      ];
    }
    case 'digitsCollected': {
      const e = event.digitsCollected;
      const reason = enumWord(callEvents.collectEndReasonToJSON(e.reason), 'COLLECT_END_REASON_');
      return [
        `leg=${e.legId}`,
        `collect=${e.collectId}`,
        `digits=${quoted(e.digits)}`,
        `reason=${reason}`,
        ...(e.terminator ? [`terminator=${e.terminator}`] : []),
      ];
    }
    case 'echoStarted':
      return [`leg=${event.echoStarted.legId}`];
    case 'echoStopped':
      return [`leg=${event.echoStopped.legId}`];
    case 'legsBridged': {
      const e = event.legsBridged;
      return [`bridge=${e.bridgeId}`, `legs=${e.legAId}+${e.legBId}`];
    }
    case 'bridgeEnded':
      return [`bridge=${event.bridgeEnded.bridgeId}`, `ended-leg=${event.bridgeEnded.endedLegId}`];
    case 'dialRequested': {
      const e = event.dialRequested;
      return [`leg=${e.legId}`, `to=${e.toUri}`, `bridge-with=${e.bridgeWithLegId}`];
    }
    case 'legMediaLost': {
      const e = event.legMediaLost;
      return [`leg=${e.legId}`, `media-session=${e.mediaSessionId}`, `reason=${quoted(e.reason)}`];
    }
    case 'dtmfSent': {
      const e = event.dtmfSent;
      return [
        `leg=${e.legId}`,
        `digits=${e.digits}`,
        `method=${dtmfMethodWord(e.method)}`,
        ...(e.durationMs ? [`duration=${e.durationMs}ms`] : []),
      ];
    }
    case 'dtmfDetectionChanged': {
      const e = event.dtmfDetectionChanged;
      return [`leg=${e.legId}`, `inband=${e.inband ? 'on' : 'off'}`];
    }
    case 'callMaxDurationSet':
      return [`max-duration=${event.callMaxDurationSet.maxDurationMs}ms`];
    case 'recordingStarted': {
      const e = event.recordingStarted;
      return [
        `recording=${e.recordingId}`,
        `kind=${enumWord(callEvents.recordingKindToJSON(e.kind), 'RECORDING_KIND_')}`,
        `legs=${e.legIds.join('+')}`,
        `channels=${enumWord(callEvents.recordingChannelsToJSON(e.channels), 'RECORDING_CHANNELS_')}`,
      ];
    }
    case 'recordingPaused':
      return [`recording=${event.recordingPaused.recordingId}`];
    case 'recordingResumed':
      return [`recording=${event.recordingResumed.recordingId}`];
    case 'recordingStopped': {
      const e = event.recordingStopped;
      const reason = enumWord(callEvents.recordingStopReasonToJSON(e.reason), 'RECORDING_STOP_REASON_');
      return [`recording=${e.recordingId}`, `reason=${reason}`];
    }
    case 'recordingSaved': {
      const e = event.recordingSaved;
      return [
        `recording=${e.recordingId}`,
        `part=${e.part}`,
        ...(e.final ? ['final'] : []),
        ...(e.partial ? ['partial'] : []),
        `duration=${e.durationMs}ms`,
        `bytes=${e.bytes}`,
        `sha256=${e.sha256}`,
      ];
    }
    case 'recordingFailed': {
      const e = event.recordingFailed;
      return [`recording=${e.recordingId}`, `reason=${quoted(e.reason)}`];
    }
    case 'monitorRequested': {
      const e = event.monitorRequested;
      return [
        `monitor=${e.monitorId}`,
        `supervisor=${e.supervisorUri}`,
        `mode=${monitorModeWord(e.mode)}`,
        ...(e.whisperLegId ? [`whisper-leg=${e.whisperLegId}`] : []),
        `supervisor-leg=${e.supervisorLegId}`,
      ];
    }
    case 'monitorStarted': {
      const e = event.monitorStarted;
      return [`monitor=${e.monitorId}`, `supervisor-leg=${e.supervisorLegId}`];
    }
    case 'monitorModeChanged': {
      const e = event.monitorModeChanged;
      return [
        `monitor=${e.monitorId}`,
        `mode=${monitorModeWord(e.mode)}`,
        ...(e.whisperLegId ? [`whisper-leg=${e.whisperLegId}`] : []),
      ];
    }
    case 'monitorEnded': {
      const e = event.monitorEnded;
      return [
        `monitor=${e.monitorId}`,
        `reason=${enumWord(callEvents.monitorEndReasonToJSON(e.reason), 'MONITOR_END_REASON_')}`,
        ...(e.sipStatus ? [`sip=${e.sipStatus}`] : []),
      ];
    }
    case 'legHeld': {
      const e = event.legHeld;
      return [
        `leg=${e.legId}`,
        `by=${enumWord(callEvents.initiatorToJSON(e.by), 'INITIATOR_')}`,
        ...(e.musicUri ? [`music=${e.musicUri}`] : []),
        ...(e.direction ? [`direction=${e.direction}`] : []),
      ];
    }
    case 'legResumed': {
      const e = event.legResumed;
      return [`leg=${e.legId}`, `by=${enumWord(callEvents.initiatorToJSON(e.by), 'INITIATOR_')}`];
    }
    case 'transferRequested': {
      const e = event.transferRequested;
      return [
        `transfer=${e.transferId}`,
        `kind=${enumWord(callEvents.transferKindToJSON(e.kind), 'TRANSFER_KIND_')}`,
        `mode=${enumWord(callEvents.transferModeToJSON(e.mode), 'TRANSFER_MODE_')}`,
        `by=${enumWord(callEvents.initiatorToJSON(e.by), 'INITIATOR_')}`,
        `transferee=${e.transfereeLegId}`,
        ...(e.transferorLegId ? [`transferor=${e.transferorLegId}`] : []),
        `target=${e.targetUri}`,
        ...(e.targetLegId ? [`target-leg=${e.targetLegId}`] : []),
        ...(e.awaitingDecision ? ['awaiting-decision'] : []),
      ];
    }
    case 'transferProgress': {
      const e = event.transferProgress;
      return [`transfer=${e.transferId}`, `sip=${e.sipStatus}`];
    }
    case 'transferCompleted': {
      const e = event.transferCompleted;
      return [
        `transfer=${e.transferId}`,
        `transferee=${e.transfereeLegId}`,
        ...(e.targetLegId ? [`target-leg=${e.targetLegId}`] : []),
      ];
    }
    case 'transferFailed': {
      const e = event.transferFailed;
      return [
        `transfer=${e.transferId}`,
        `cause=${enumWord(callEvents.transferFailureCauseToJSON(e.cause), 'TRANSFER_FAILURE_CAUSE_')}`,
        ...(e.sipStatus ? [`sip=${e.sipStatus}`] : []),
        ...(e.transfereeReleased ? ['transferee-released'] : []),
      ];
    }
    case 'consultationStarted': {
      const e = event.consultationStarted;
      return [
        `transfer=${e.transferId}`,
        `held=${e.heldLegId}`,
        `transferor=${e.transferorLegId}`,
        `consultation-leg=${e.consultationLegId}`,
      ];
    }
    case 'consultationEnded': {
      const e = event.consultationEnded;
      return [
        `transfer=${e.transferId}`,
        `outcome=${enumWord(callEvents.consultationOutcomeToJSON(e.outcome), 'CONSULTATION_OUTCOME_')}`,
      ];
    }
    case 'participantAdded': {
      const e = event.participantAdded;
      return [
        `participant=${e.participantId}`,
        `leg=${e.legId}`,
        `mode=${enumWord(callEvents.participantModeToJSON(e.mode), 'PARTICIPANT_MODE_')}`,
      ];
    }
    case 'participantRemoved': {
      const e = event.participantRemoved;
      return [
        `participant=${e.participantId}`,
        `leg=${e.legId}`,
        `reason=${enumWord(callEvents.participantRemovedReasonToJSON(e.reason), 'PARTICIPANT_REMOVED_REASON_')}`,
        ...(e.sipStatus ? [`sip=${e.sipStatus}`] : []),
      ];
    }
    case 'legMovedOut': {
      const e = event.legMovedOut;
      return [`leg=${e.legId}`, `to-call=${e.toCallId}`, `transfer=${e.transferId}`];
    }
    case 'legMovedIn': {
      const e = event.legMovedIn;
      return [`leg=${e.legId}`, `from-call=${e.fromCallId}`, `transfer=${e.transferId}`];
    }
    case 'streamRequested': {
      const e = event.streamRequested;
      return [
        `stream=${e.streamId}`,
        `url=${e.url}`,
        ...(e.legId ? [`leg=${e.legId}`] : []),
        `legs=${e.legIds.join(',')}`,
        `tracks=${enumWord(callEvents.streamTracksToJSON(e.tracks), 'STREAM_TRACKS_')}`,
        `encoding=${enumWord(callEvents.streamEncodingToJSON(e.encoding), 'STREAM_ENCODING_')}/${e.sampleRate}`,
        ...(e.bidirectional ? ['bidirectional'] : []),
      ];
    }
    case 'streamStarted':
      return [`stream=${event.streamStarted.streamId}`, `reconnects=${event.streamStarted.reconnects}`];
    case 'streamReconnecting': {
      const e = event.streamReconnecting;
      return [`stream=${e.streamId}`, `attempt=${e.attempt}`, `reason=${JSON.stringify(e.reason)}`];
    }
    case 'streamPaused':
      return [`stream=${event.streamPaused.streamId}`];
    case 'streamResumed':
      return [`stream=${event.streamResumed.streamId}`];
    case 'streamStopped': {
      const e = event.streamStopped;
      return [
        `stream=${e.streamId}`,
        `reason=${enumWord(callEvents.streamStopReasonToJSON(e.reason), 'STREAM_STOP_REASON_')}`,
        `sent=${e.framesSent}`,
        `dropped=${e.framesDropped}`,
        `reconnects=${e.reconnects}`,
        ...(e.detail ? [`detail=${quoted(e.detail)}`] : []),
      ];
    }
    case 'streamFailed':
      return [`stream=${event.streamFailed.streamId}`, `reason=${JSON.stringify(event.streamFailed.reason)}`];
    case 'siprecRequested': {
      const e = event.siprecRequested;
      return [`siprec=${e.siprecId}`, `srs=${e.srsUris.join(',')}`];
    }
    case 'siprecAttemptFailed': {
      const e = event.siprecAttemptFailed;
      return [`siprec=${e.siprecId}`, `srs=${e.srsUri}`, `sip=${e.sipStatus}`];
    }
    case 'siprecStarted':
      return [`siprec=${event.siprecStarted.siprecId}`, `srs=${event.siprecStarted.srsUri}`];
    case 'siprecPaused':
      return [`siprec=${event.siprecPaused.siprecId}`];
    case 'siprecResumed':
      return [`siprec=${event.siprecResumed.siprecId}`];
    case 'siprecUpdated':
      return [`siprec=${event.siprecUpdated.siprecId}`, `legs=${event.siprecUpdated.legIds.join(',')}`];
    case 'siprecStopped': {
      const e = event.siprecStopped;
      return [
        `siprec=${e.siprecId}`,
        `reason=${enumWord(callEvents.siprecStopReasonToJSON(e.reason), 'SIPREC_STOP_REASON_')}`,
        ...(e.sipStatus ? [`sip=${e.sipStatus}`] : []),
      ];
    }
    case 'siprecFailed': {
      const e = event.siprecFailed;
      return [`siprec=${e.siprecId}`, `sip=${e.sipStatus}`, `reason=${JSON.stringify(e.reason)}`];
    }
    case 'legAttemptFailed': {
      const e = event.legAttemptFailed;
      return [
        `leg=${e.legId}`,
        `attempt=${e.attempt}`,
        ...(e.trunk ? [`trunk=${e.trunk}`] : []),
        `gateway=${e.gateway}`,
        `sip=${e.sipStatus}`,
        `reason=${JSON.stringify(e.reason)}`,
        ...(e.failover ? ['failover'] : []),
      ];
    }
    default: {
      const unknown: never = event;
      return [String(unknown)];
    }
  }
}

const monitorModeWord = (mode: callEvents.MonitorMode) =>
  enumWord(callEvents.monitorModeToJSON(mode), 'MONITOR_MODE_');

const dtmfMethodWord = (method: callEvents.DtmfMethod) =>
  enumWord(callEvents.dtmfMethodToJSON(method), 'DTMF_METHOD_');

type KnownEvent = NonNullable<callControl.WatchEventsResponse['event']>;

/** Every event payload carries its call id. */
function callIdOf(event: KnownEvent): string {
  const payload = (event as unknown as Record<string, { callId?: string } | undefined>)[event.$case];
  return payload?.callId ?? '?';
}

/**
 * One human line per event: UTC time it was recorded, log position, call id, type, then its facts.
 * `10:15:02.120 #42 7f3c… LegEnded leg=b1 cause=busy sip=486`. An event type this callctl does not know
 * still gets a line, from its envelope (with the stream id in place of the call id).
 */
export function eventLine(message: callControl.WatchEventsResponse): string {
  const envelope = message.envelope;
  const time = envelope?.recordedAt ? envelope.recordedAt.toISOString().slice(11, 23) : '--:--:--.---';
  const callId = message.event ? callIdOf(message.event) : (envelope?.streamId ?? '?');
  const type = envelope?.type ?? '?';
  const details = message.event ? detailsOf(message.event) : ['(not known to this callctl version)'];
  return [time, `#${envelope?.globalPosition ?? '?'}`, callId, type, ...details].join(' ');
}
