// decide: one small function per command. Returns the events to append (none for a duplicate fact or an
// idempotent replay) and the id the request produced, or throws a domain error.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from './call.commands';
import type { CallEvent } from './call.events';
import { evolve, fingerprint, type CallState, type Leg } from './call.state';
import { active, answeredLeg, leg, replay, type Active, type Cmd, type Decision } from './call.guards';
import { collectDigits, recordCollectTimeout, recordDtmf } from './collect-digits';
import { IllegalStateError, NotFoundError, ValidationError } from './errors';

export type { Decision } from './call.guards';
const { EndCause, LegDirection, PlaybackEndReason, CollectEndReason } = callEvents;
const none: Decision = { events: [] };

/** Ends a leg and whatever depends on it: its media operations, its bridge, and the call if it was the last. */
function endLeg(
  s: Active,
  l: Leg,
  cause: callEvents.EndCause,
  sipStatus: number,
  reason: string,
): CallEvent[] {
  const base = { callId: s.callId, clientState: s.clientState };
  const out: CallEvent[] = [];
  for (const p of Object.values(s.playbacks))
    if (p.legId === l.legId && p.status === 'playing')
      out.push({
        type: 'PlaybackFinished',
        data: {
          ...base,
          legId: l.legId,
          playbackId: p.playbackId,
          reason: PlaybackEndReason.PLAYBACK_END_REASON_LEG_ENDED,
        },
      });
  for (const c of Object.values(s.collects))
    if (c.legId === l.legId && c.status === 'collecting')
      out.push({
        type: 'DigitsCollected',
        data: {
          ...base,
          legId: l.legId,
          collectId: c.collectId,
          digits: c.digits,
          reason: CollectEndReason.COLLECT_END_REASON_CANCELLED,
          terminator: '',
        },
      });
  if (l.status === 'answered' && l.bridgeId)
    out.push({ type: 'BridgeEnded', data: { ...base, bridgeId: l.bridgeId, endedLegId: l.legId } });
  out.push({ type: 'LegEnded', data: { ...base, legId: l.legId, cause, sipStatus, reason } });
  const stillUp = Object.values(s.legs).some((o) => o.legId !== l.legId && o.status !== 'ended');
  if (!stillUp) out.push({ type: 'CallEnded', data: { ...base, cause, talkDurationMs: 0 } });
  return out;
}

const createCall = (state: CallState, c: Cmd<'CreateCall'>): Decision => {
  const d = c.data;
  if (state.status !== 'none') {
    if (
      c.metadata.idempotencyKey &&
      state.status === 'active' &&
      state.idempotency[c.metadata.idempotencyKey]
    )
      return { events: [], resultId: state.callId };
    throw new IllegalStateError(`call ${d.callId} already exists`, { callId: d.callId });
  }
  if (!d.toUri.startsWith('sip:') && !d.toUri.startsWith('sips:'))
    throw new ValidationError(`to_uri must be a SIP URI, got "${d.toUri}"`, { callId: d.callId });
  if (!c.metadata.idempotencyKey)
    throw new ValidationError('an idempotency key is required', { callId: d.callId });
  const legId = c.metadata.newId;
  return {
    resultId: legId,
    events: [
      {
        type: 'CallCreated',
        data: {
          callId: d.callId,
          clientState: d.clientState,
          maxDurationMs: d.maxDurationMs,
          idempotencyKey: c.metadata.idempotencyKey,
        },
      },
      {
        type: 'LegInitiated',
        data: {
          callId: d.callId,
          legId,
          direction: LegDirection.LEG_DIRECTION_OUTBOUND,
          fromUri: d.fromUri,
          toUri: d.toUri,
          sipCallId: '',
          ringTimeoutMs: d.ringTimeoutMs,
          clientState: d.clientState,
        },
      },
    ],
  };
};

const recordInboundCall = (state: CallState, c: Cmd<'RecordInboundCall'>): Decision => {
  if (state.status !== 'none') return none; // the INVITE was reported twice
  const d = c.data;
  const legId = c.metadata.newId;
  return {
    resultId: legId,
    events: [
      {
        type: 'CallCreated',
        data: { callId: d.callId, clientState: d.clientState, maxDurationMs: 0, idempotencyKey: '' },
      },
      {
        type: 'LegInitiated',
        data: {
          callId: d.callId,
          legId,
          direction: LegDirection.LEG_DIRECTION_INBOUND,
          fromUri: d.fromUri,
          toUri: d.toUri,
          sipCallId: d.sipCallId,
          ringTimeoutMs: 0,
          clientState: d.clientState,
        },
      },
      {
        type: 'LegRinging',
        data: { callId: d.callId, legId, earlyMedia: false, clientState: d.clientState },
      },
    ],
  };
};

const answerLeg = (s: Active, c: Cmd<'AnswerLeg'>): Decision => {
  const l = leg(s, c.data.legId);
  if (l.direction !== LegDirection.LEG_DIRECTION_INBOUND)
    throw new IllegalStateError(`leg ${l.legId} is outbound; only the far end answers it`, {
      callId: s.callId,
      legId: l.legId,
    });
  if (l.status !== 'ringing' && l.status !== 'initiated')
    throw new IllegalStateError(`leg ${l.legId} is ${l.status}; only a ringing leg can be answered`, {
      callId: s.callId,
      legId: l.legId,
    });
  return {
    events: [
      {
        type: 'LegAnswered',
        data: { callId: s.callId, legId: l.legId, clientState: c.data.clientState || s.clientState },
      },
    ],
  };
};

const rejectLeg = (s: Active, c: Cmd<'RejectLeg'>): Decision => {
  const l = leg(s, c.data.legId);
  const sipStatus = c.data.sipStatus || 603;
  if (sipStatus < 400 || sipStatus > 699)
    throw new ValidationError(`sip_status must be 400-699, got ${sipStatus}`, {
      callId: s.callId,
      legId: l.legId,
    });
  if (
    l.direction !== LegDirection.LEG_DIRECTION_INBOUND ||
    (l.status !== 'ringing' && l.status !== 'initiated')
  )
    throw new IllegalStateError(`leg ${l.legId} is ${l.status}; only a ringing inbound leg can be rejected`, {
      callId: s.callId,
      legId: l.legId,
    });
  return { events: endLeg(s, l, EndCause.END_CAUSE_REJECTED, sipStatus, c.data.reason) };
};

const hangup = (state: CallState, c: Cmd<'Hangup'>): Decision => {
  if (state.status === 'ended') return none; // safe to retry
  const s = active(state);
  const targets = c.data.legId ? [leg(s, c.data.legId)] : Object.values(s.legs);
  let cur: CallState = s;
  const out: CallEvent[] = [];
  for (const t of targets) {
    if (cur.status !== 'active') break;
    const l = cur.legs[t.legId];
    if (!l || l.status === 'ended') continue;
    const evs = endLeg(cur, l, EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'hangup requested');
    out.push(...evs);
    cur = evs.reduce(evolve, cur);
  }
  return { events: out };
};

const playMedia = (s: Active, c: Cmd<'PlayMedia'>): Decision => {
  const d = { ...c.data, repeat: c.data.repeat || 1 };
  if (!d.mediaUri)
    throw new ValidationError('a media URL or file id is required', { callId: s.callId, legId: d.legId });
  const again = replay(s, c.metadata.idempotencyKey, fingerprint.play(d));
  if (again) return again;
  answeredLeg(s, d.legId, 'play media');
  const base = { callId: s.callId, legId: d.legId, clientState: s.clientState };
  const out: CallEvent[] = Object.values(s.playbacks)
    .filter((p) => p.legId === d.legId && p.status === 'playing')
    .map((p) => ({
      type: 'PlaybackFinished',
      data: { ...base, playbackId: p.playbackId, reason: PlaybackEndReason.PLAYBACK_END_REASON_STOPPED },
    }));
  out.push({
    type: 'PlaybackStarted',
    data: {
      ...base,
      playbackId: c.metadata.newId,
      mediaUri: d.mediaUri,
      repeat: d.repeat,
      idempotencyKey: c.metadata.idempotencyKey ?? '',
    },
  });
  return { events: out, resultId: c.metadata.newId };
};

const stopMedia = (s: Active, c: Cmd<'StopMedia'>): Decision => {
  const p = s.playbacks[c.data.playbackId];
  if (!p)
    throw new NotFoundError(`playback ${c.data.playbackId} does not exist in call ${s.callId}`, {
      callId: s.callId,
    });
  if (p.status === 'finished') return none;
  return {
    events: [
      {
        type: 'PlaybackFinished',
        data: {
          callId: s.callId,
          legId: p.legId,
          playbackId: p.playbackId,
          reason: PlaybackEndReason.PLAYBACK_END_REASON_STOPPED,
          clientState: s.clientState,
        },
      },
    ],
  };
};

const recordPlaybackFinished = (s: Active, c: Cmd<'RecordPlaybackFinished'>): Decision => {
  const p = s.playbacks[c.data.playbackId];
  if (!p)
    throw new NotFoundError(`playback ${c.data.playbackId} does not exist in call ${s.callId}`, {
      callId: s.callId,
    });
  if (p.status === 'finished') return none;
  const reason = c.data.failed
    ? PlaybackEndReason.PLAYBACK_END_REASON_FAILED
    : PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED;
  return {
    events: [
      {
        type: 'PlaybackFinished',
        data: {
          callId: s.callId,
          legId: p.legId,
          playbackId: p.playbackId,
          reason,
          clientState: s.clientState,
        },
      },
    ],
  };
};

const startEcho = (s: Active, c: Cmd<'StartEcho'>): Decision => {
  const l = answeredLeg(s, c.data.legId, 'echo');
  if (l.bridgeId)
    throw new IllegalStateError(`leg ${l.legId} is bridged; unbridge it before an echo`, {
      callId: s.callId,
      legId: l.legId,
    });
  return l.echo
    ? none
    : {
        events: [
          { type: 'EchoStarted', data: { callId: s.callId, legId: l.legId, clientState: s.clientState } },
        ],
      };
};

const stopEcho = (s: Active, c: Cmd<'StopEcho'>): Decision => {
  const l = leg(s, c.data.legId);
  return l.status === 'answered' && l.echo
    ? {
        events: [
          { type: 'EchoStopped', data: { callId: s.callId, legId: l.legId, clientState: s.clientState } },
        ],
      }
    : none;
};

const bridgeLegs = (s: Active, c: Cmd<'BridgeLegs'>): Decision => {
  const { legAId, legBId } = c.data;
  if (legAId === legBId)
    throw new ValidationError('a leg cannot be bridged with itself', { callId: s.callId, legId: legAId });
  const again = replay(s, c.metadata.idempotencyKey, fingerprint.bridge(c.data));
  if (again) return again;
  const a = answeredLeg(s, legAId, 'be bridged');
  const b = answeredLeg(s, legBId, 'be bridged');
  for (const l of [a, b])
    if (l.bridgeId)
      throw new IllegalStateError(`leg ${l.legId} is already bridged`, { callId: s.callId, legId: l.legId });
  const base = { callId: s.callId, clientState: s.clientState };
  const out: CallEvent[] = [a, b]
    .filter((l) => l.echo)
    .map((l) => ({ type: 'EchoStopped', data: { ...base, legId: l.legId } }));
  out.push({
    type: 'LegsBridged',
    data: {
      ...base,
      bridgeId: c.metadata.newId,
      legAId,
      legBId,
      idempotencyKey: c.metadata.idempotencyKey ?? '',
    },
  });
  return { events: out, resultId: c.metadata.newId };
};

const dial = (s: Active, c: Cmd<'Dial'>): Decision => {
  const d = c.data;
  if (!d.toUri.startsWith('sip:') && !d.toUri.startsWith('sips:'))
    throw new ValidationError(`to_uri must be a SIP URI, got "${d.toUri}"`, { callId: s.callId });
  const again = replay(s, c.metadata.idempotencyKey, fingerprint.dial(d));
  if (again) return again;
  answeredLeg(s, d.bridgeWithLegId, 'be bridged with a dialled leg');
  const legId = c.metadata.newId;
  return {
    resultId: legId,
    events: [
      {
        type: 'DialRequested',
        data: {
          callId: s.callId,
          legId,
          bridgeWithLegId: d.bridgeWithLegId,
          toUri: d.toUri,
          fromUri: d.fromUri,
          ringTimeoutMs: d.ringTimeoutMs,
          clientState: s.clientState,
          idempotencyKey: c.metadata.idempotencyKey ?? '',
        },
      },
    ],
  };
};

const recordLegInitiated = (s: Active, c: Cmd<'RecordLegInitiated'>): Decision => {
  const l = leg(s, c.data.legId);
  if (l.status !== 'initiated') return none;
  return {
    events: [
      {
        type: 'LegInitiated',
        data: {
          callId: s.callId,
          legId: l.legId,
          direction: l.direction,
          fromUri: l.fromUri,
          toUri: l.toUri,
          sipCallId: c.data.sipCallId,
          ringTimeoutMs: l.ringTimeoutMs,
          clientState: s.clientState,
        },
      },
    ],
  };
};

const recordLegRinging = (s: Active, c: Cmd<'RecordLegRinging'>): Decision => {
  const l = leg(s, c.data.legId);
  if (l.status === 'ringing' && l.earlyMedia === c.data.earlyMedia) return none;
  if (l.status !== 'initiated' && l.status !== 'ringing') return none; // a late 18x after answer or end changes nothing
  return {
    events: [
      {
        type: 'LegRinging',
        data: { callId: s.callId, legId: l.legId, earlyMedia: c.data.earlyMedia, clientState: s.clientState },
      },
    ],
  };
};

const recordLegAnswered = (s: Active, c: Cmd<'RecordLegAnswered'>): Decision => {
  const l = leg(s, c.data.legId);
  if (l.status === 'answered' || l.status === 'ended') return none;
  const out: CallEvent[] = [
    { type: 'LegAnswered', data: { callId: s.callId, legId: l.legId, clientState: s.clientState } },
  ];
  const peer = l.bridgeWithOnAnswer ? s.legs[l.bridgeWithOnAnswer] : undefined;
  if (peer?.status === 'answered' && !peer.bridgeId)
    out.push({
      type: 'LegsBridged',
      data: {
        callId: s.callId,
        bridgeId: c.metadata.newId,
        legAId: peer.legId,
        legBId: l.legId,
        clientState: s.clientState,
        idempotencyKey: '',
      },
    });
  return { events: out };
};

const recordLegEnded = (s: Active, c: Cmd<'RecordLegEnded'>): Decision => {
  const l = leg(s, c.data.legId);
  return l.status === 'ended'
    ? none
    : { events: endLeg(s, l, c.data.cause, c.data.sipStatus, c.data.reason) };
};

export function decide(command: CallCommand, state: CallState): Decision {
  switch (command.type) {
    case 'CreateCall':
      return createCall(state, command);
    case 'RecordInboundCall':
      return recordInboundCall(state, command);
    case 'Hangup':
      return hangup(state, command);
    case 'AnswerLeg':
      return answerLeg(active(state), command);
    case 'RejectLeg':
      return rejectLeg(active(state), command);
    case 'PlayMedia':
      return playMedia(active(state), command);
    case 'StopMedia':
      return stopMedia(active(state), command);
    case 'CollectDigits':
      return collectDigits(active(state), command);
    case 'StartEcho':
      return startEcho(active(state), command);
    case 'StopEcho':
      return stopEcho(active(state), command);
    case 'BridgeLegs':
      return bridgeLegs(active(state), command);
    case 'Dial':
      return dial(active(state), command);
    case 'RecordLegInitiated':
      return recordLegInitiated(active(state), command);
    case 'RecordLegRinging':
      return recordLegRinging(active(state), command);
    case 'RecordLegAnswered':
      return recordLegAnswered(active(state), command);
    case 'RecordLegEnded':
      return state.status === 'ended' ? none : recordLegEnded(active(state), command);
    case 'RecordDtmf':
      return recordDtmf(active(state), command);
    case 'RecordPlaybackFinished':
      return state.status === 'ended' ? none : recordPlaybackFinished(active(state), command);
    case 'RecordCollectTimeout':
      return state.status === 'ended' ? none : recordCollectTimeout(active(state), command);
    default: {
      const unknown: never = command;
      throw new ValidationError(`unknown command ${(unknown as { type: string }).type}`);
    }
  }
}
