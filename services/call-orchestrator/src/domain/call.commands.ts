import type { callEvents, facts } from '@callctl/proto';
import type { MediaLostAction } from './capabilities/media-loss/media-loss.decide';

// Commands: requests to the call aggregate, imperative. `Record*` commands carry facts reported by the
// SIP edge or the media worker; they are decided against state too (a duplicate after a restart is a no-op).
//
// The adapter stamps the metadata: the domain never reads a clock or makes ids.
export interface CommandMetadata {
  /** When the adapter received the command (ms since the epoch). */
  readonly now: number;
  /** Fresh ids for whatever the command may create (a leg, playback, collection or bridge id). */
  readonly newId: string;
  /** Required on commands that create something. */
  readonly idempotencyKey?: string;
}

/** Media resolved by the app: what PlaybackStarted records beside its media_uri. */
export type ResolvedMedia = {
  /** `url`, `file`, `library` or `tts:<provider>/<voice>`. */
  readonly source: string;
  readonly durationMs: number;
  readonly ttsFallbackFrom: string;
};

/**
 * Where a leg comes from or goes to, as sip-edge classified it (LegInitiated's optional fields): the
 * provisioned trunk, the platform user (user@domain), and for a device's call where the dial plan routes it.
 */
export type LegOrigin = { trunk?: string; user?: string; routedTo?: string };

type C<T extends string, D> = { readonly type: T; readonly data: D; readonly metadata: CommandMetadata };

export type CallCommand =
  | C<
      'CreateCall',
      {
        callId: string;
        toUri: string;
        fromUri: string;
        ringTimeoutMs: number;
        maxDurationMs: number;
        clientState: string;
      }
    >
  | C<
      'RecordInboundCall',
      {
        callId: string;
        fromUri: string;
        toUri: string;
        sipCallId: string;
        clientState: string;
        /** The platform's default limit (0 = none); older callers leave it out. */
        maxDurationMs?: number;
        /** Where sip-edge put the caller's media (absent from sip-edges that did not say). */
        media?: callEvents.MediaParty;
      } & LegOrigin
    >
  /**
   * `maxDurationMs`: the call's limit from now on (the request's, else the platform default; 0 = none);
   * `detectInbandDtmf`: in-band detection from the answer on.
   */
  | C<
      'AnswerLeg',
      { legId: string; clientState?: string; maxDurationMs?: number; detectInbandDtmf?: boolean }
    >
  /** `cause`: REJECTED unless a process manager ends the caller with another leg's cause (device calls). */
  | C<'RejectLeg', { legId: string; sipStatus: number; reason: string; cause?: callEvents.EndCause }>
  /** `cause` is LOCAL_HANGUP unless a process manager ends the call (MAX_DURATION, NO_ANSWER, ...). */
  | C<'Hangup', { legId?: string; cause?: callEvents.EndCause; reason?: string }>
  /** `media`: where the app resolved the media from (a URL, a file, the library or speech). */
  | C<
      'PlayMedia',
      {
        legId: string;
        mediaUri: string;
        repeat: number;
        media?: ResolvedMedia;
        /** The digest of the request as the client sent it (app media-sources.ts requestFingerprint). */
        requestFingerprint?: string;
      }
    >
  | C<'StopMedia', { playbackId: string }>
  | C<
      'CollectDigits',
      {
        legId: string;
        maxDigits: number;
        terminators: string;
        firstDigitTimeoutMs: number;
        interDigitTimeoutMs: number;
        /** Resolved by the app (speech synthesized, library ids looked up) before the command runs. */
        prompts?: callEvents.CollectPrompt[];
        bargeIn?: boolean;
        /** The digest of the request as the client sent it (app media-sources.ts requestFingerprint). */
        requestFingerprint?: string;
      }
    >
  /** DtmfSent's method is what the send used (the effect amends it: RFC 4733, else SIP INFO). */
  | C<'SendDtmf', { legId: string; digits: string; durationMs: number }>
  | C<'SetDtmfDetection', { legId: string; inband: boolean }>
  | C<'StartEcho', { legId: string }>
  | C<'StopEcho', { legId: string }>
  | C<'BridgeLegs', { legAId: string; legBId: string }>
  | C<'Dial', { bridgeWithLegId: string; toUri: string; fromUri: string; ringTimeoutMs: number }>
  | C<
      'RecordLegInitiated',
      { legId: string; sipCallId: string; media?: callEvents.MediaParty } & Omit<LegOrigin, 'routedTo'>
    >
  /** One attempt of an outbound leg failed (trunk failover): sip-edge's OutboundAttemptFailed. */
  | C<'RecordLegAttemptFailed', { legId: string } & facts.OutboundAttemptFailed>
  | C<'RecordLegRinging', { legId: string; earlyMedia: boolean }>
  | C<'RecordLegAnswered', { legId: string }>
  | C<
      'RecordLegEnded',
      {
        legId: string;
        sipStatus: number;
        reason: string;
        cause: number;
        /** The Reason header (RFC 3326) the far end sent with its BYE, CANCEL or final response. */
        receivedReason?: callEvents.SipReason;
      }
    >
  /** sip-edge joined the legs' media for BridgeLegs, under the bridge id and key the command decided. */
  | C<
      'RecordLegsBridged',
      { legAId: string; legBId: string; bridgeId: string; idempotencyKey: string; mediaSessionId?: string }
    >
  /** `party`: where the media-worker heard the digit (it names no leg); the leg whose media that is. */
  | C<
      'RecordDtmf',
      {
        legId: string;
        digit: string;
        party?: callEvents.MediaParty;
        method?: callEvents.DtmfMethod;
        /** How long the key's tone lasted, when the reporter said (a segment's terminator is cut by it). */
        durationMs?: number;
      }
    >
  | C<'RecordPlaybackFinished', { playbackId: string; failed: boolean }>
  /** A collection's timer fired; `expectedDigits` is how many digits it had when the timer was set. */
  | C<'RecordCollectTimeout', { collectId: string; expectedDigits: number }>
  /** The media session vanished from rtpengine; `action`: hang its legs up, or only record the loss. */
  | C<
      'RecordMediaSessionLost',
      { sessionId: string; tags: string[]; reason: string; action: MediaLostAction }
    >
  | RecordingCommand
  | SiprecCommand
  | HoldCommand
  | MonitorCommand
  | TransferCommand
  | StreamCommand
  | ParticipantCommand;

/**
 * Three-way: AddParticipant (`mode` 0 = FULL; `participantLegId` stamped by the adapter from the key, like
 * the participant id) and RemoveParticipant.
 */
export type ParticipantCommand =
  | C<
      'AddParticipant',
      {
        target: string;
        mode: callEvents.ParticipantMode;
        fromUri: string;
        ringTimeoutMs: number;
        participantLegId: string;
      }
    >
  | C<'RemoveParticipant', { participantId: string }>;

/**
 * Monitoring: the public requests (`mode` 0 = LISTEN for MonitorCall; `supervisorLegId` stamped by the
 * adapter from the key, like the monitor id), then the media-worker's fact that the mixer died.
 */
export type MonitorCommand =
  | C<
      'MonitorCall',
      {
        supervisorUri: string;
        mode: callEvents.MonitorMode;
        whisperLegId: string;
        fromUri: string;
        ringTimeoutMs: number;
        supervisorLegId: string;
      }
    >
  | C<'SetMonitorMode', { monitorId: string; mode: callEvents.MonitorMode; whisperLegId: string }>
  | C<'StopMonitor', { monitorId: string }>
  | C<'RecordMixerLost', { sessionId: string; tag: string; routeId: string }>;

/** What a phone's REFER does unless the application decides (REFER_POLICY and its companions). */
export type ReferPolicy = {
  /** `ask`: the application decides with DecideTransfer within `decisionTimeoutMs`, else `defaultAccept`. */
  readonly ask: boolean;
  readonly decisionTimeoutMs: number;
  readonly defaultAccept: boolean;
};

/**
 * Transfers: the public requests (ids of the legs they dial stamped by the adapter from the key), the facts
 * of REFERs (a phone's, and the progress of the platform's), and ContinueTransfer, which the transfer
 * process manager sends to carry a transfer to its next step (`abort`: the step failed on the wire, end the
 * transfer as PLATFORM_FAILURE).
 */
export type TransferCommand =
  | C<
      'TransferLeg',
      {
        legId: string;
        targetUri: string;
        mode: callEvents.TransferMode;
        fromUri: string;
        timeoutMs: number;
        releaseOnFailure: boolean;
        targetLegId: string;
      }
    >
  | C<'DecideTransfer', { transferId: string; accept: boolean; sipStatus: number; byDeadline?: boolean }>
  /** `musicUri`: what the held party hears, resolved by the app ('' = silence). */
  | C<
      'StartConsultation',
      {
        heldLegId: string;
        targetUri: string;
        fromUri: string;
        ringTimeoutMs: number;
        musicUri: string;
        consultationLegId: string;
      }
    >
  | C<'CompleteTransfer', { transferId: string }>
  | C<'CancelConsultation', { transferId: string }>
  /** sip-edge took two bridged legs apart (UnbridgeLegs), each now in a session of its own. */
  | C<
      'RecordLegsUnbridged',
      { legAId: string; legBId: string; mediaA?: callEvents.MediaParty; mediaB?: callEvents.MediaParty }
    >
  | C<'ContinueTransfer', { transferId: string; abort?: string }>
  /**
   * A phone's REFER with Replaces (transfer `transferId` of call `toCallId`): sent to the replaced leg's call,
   * whose leg `legId` is replaced; its bridge peer moves to `toCallId` (replaces.decide.ts).
   */
  | C<'MoveLegOut', { legId: string; toCallId: string; transferId: string }>
  /** The other call's LegMovedOut, recorded in the call the leg moved to. */
  | C<'RecordLegMovedIn', { moved: callEvents.LegMovedOut }>
  | C<
      'RecordReferReceived',
      {
        legId: string;
        referId: string;
        referTo: string;
        referredBy: string;
        replacesCallId: string;
        replacesLegId: string;
        policy: ReferPolicy;
      }
    >
  | C<'RecordReferProgress', { transferId: string; sipStatus: number; reason: string; final: boolean }>;

/** Recording: the public requests (channels and pause mode 0 = the proto's default), then the recording service's facts. */
export type RecordingCommand =
  | C<
      'StartRecording',
      {
        channels: callEvents.RecordingChannels;
        maxDurationMs: number;
        beep: boolean;
        pauseMode: callEvents.PauseMode;
      }
    >
  | C<
      'RecordLeg',
      { legId: string; beep: boolean; maxLengthMs: number; silenceTimeoutMs: number; terminator: string }
    >
  | C<'PauseRecording', { recordingId: string }>
  | C<'ResumeRecording', { recordingId: string }>
  | C<'StopRecording', { recordingId: string }>
  | C<'RecordRecorderStopped', { recordingId: string; reason: callEvents.RecordingStopReason }>
  | C<'RecordRecordingSaved', Omit<callEvents.RecordingSaved, 'callId' | 'clientState'>>
  | C<'RecordRecordingFailed', { recordingId: string; reason: string }>;

/**
 * Media streams to a customer WebSocket: the public requests (StartStream's `authorization` goes to the
 * stream gateway and is never recorded), then the stream gateway's facts (StreamFact).
 */
export type StreamCommand =
  | C<
      'StartStream',
      {
        /** '' = the whole call. */
        legId: string;
        url: string;
        tracks: callEvents.StreamTracks;
        encoding: callEvents.StreamEncoding;
        sampleRate: number;
        bidirectional: boolean;
        customParameters: Readonly<Record<string, string>>;
        authorization: string;
        /** The stream's events carry it ('' = the call's). */
        clientState: string;
      }
    >
  | C<'StopStream', { streamId: string }>
  | C<'PauseStream', { streamId: string }>
  | C<'ResumeStream', { streamId: string }>
  | C<'RecordStreamConnected', { streamId: string; reconnects: number }>
  | C<'RecordStreamConnectionLost', { streamId: string; attempt: number; reason: string }>
  /** The gateway's StreamClosed, or the orchestrator finding that no gateway holds the stream (GATEWAY_LOST). */
  | C<
      'RecordStreamClosed',
      {
        streamId: string;
        reason: callEvents.StreamStopReason;
        detail: string;
        framesSent: number;
        framesDropped: number;
        reconnects: number;
      }
    >
  | C<'RecordStreamOpenFailed', { streamId: string; reason: string }>;

/**
 * SIPREC: the public requests (the SRS URIs and X- headers validated by the adapter), the driver's outcomes
 * of each step on the wire (app/process-managers/siprec-driver.ts; `attempt`: 1 for the first SRS, so a
 * repeated report records nothing), and sip-edge's fact that the SRS ended a session by itself.
 */
export type SiprecCommand =
  /** `clientState`: carried by SiprecRequested when given (else the call's). */
  | C<'StartSiprec', { srsUris: string[]; headers: Record<string, string>; clientState?: string }>
  | C<'PauseSiprec', { siprecId: string }>
  | C<'ResumeSiprec', { siprecId: string }>
  | C<'StopSiprec', { siprecId: string }>
  | C<
      'RecordSiprecAttemptFailed',
      { siprecId: string; attempt: number; srsUri: string; sipStatus: number; reason: string }
    >
  | C<'RecordSiprecStarted', { siprecId: string; attempt: number; srsUri: string; sipCallId: string }>
  | C<'RecordSiprecFailed', { siprecId: string; sipStatus: number; reason: string }>
  | C<'RecordSiprecUpdated', { siprecId: string; legIds: string[] }>
  | C<'RecordSiprecSessionEnded', { sessionId: string; sipStatus: number; reason: string }>;

/**
 * Hold: the public requests (HoldLeg's music resolved by the app: '' for silence), then the fact of a phone
 * that held or resumed the platform itself (sip-edge's LegHoldChanged).
 */
export type HoldCommand =
  | C<'HoldLeg', { legId: string; musicUri: string; musicToPeer: boolean }>
  | C<'ResumeLeg', { legId: string }>
  | C<'RecordLegHoldChanged', { legId: string; held: boolean; direction: string }>;

export type CallCommandType = CallCommand['type'];
