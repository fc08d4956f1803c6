// Legs: create, answer, reject, hang up, and the SIP facts about them. Ending a leg (ctx.endLeg, built
// by the registry) also ends what each capability runs on it, and the call when it was the last leg.
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { CallState, Leg } from '../../call.state';
import {
  active,
  leg,
  requestLeg,
  type Active,
  type Cmd,
  type Deadline,
  type Decision,
} from '../../call.guards';
import { IdempotencyConflictError, IllegalStateError, ValidationError } from '../../errors';
import type { DecideContext } from '../capability';
import { roleOf } from './roles';
import { originOf } from './legs.state';
import { requireDialTarget } from './dial-target';

const { EndCause, LegDirection } = callEvents;
const none: Decision = { events: [] };

export const createCall = (state: CallState, c: Cmd<'CreateCall'>): Decision => {
  const d = c.data;
  if (state.status !== 'none') {
    const key = c.metadata.idempotencyKey;
    if (!key || !state.idempotency[key])
      throw new IllegalStateError(`call ${d.callId} already exists`, { callId: d.callId });
    // The replay must ask for the same call: compare with what CallCreated and the first leg recorded.
    const first = Object.values(state.legs)[0];
    const same =
      first?.toUri === d.toUri &&
      first.fromUri === d.fromUri &&
      first.ringTimeoutMs === d.ringTimeoutMs &&
      state.maxDurationMs === d.maxDurationMs;
    if (!same)
      throw new IdempotencyConflictError(`idempotency key ${key} was used for a different request`, {
        callId: d.callId,
      });
    return { events: [], resultId: first.legId };
  }
  requireDialTarget(d.toUri, 'to_uri', d.callId);
  if (!c.metadata.idempotencyKey)
    throw new ValidationError('an idempotency key is required', { callId: d.callId });
  const legId = c.metadata.newId;
  // The first leg is requested like any dialled leg (with nothing to bridge to); its LegInitiated,
  // carrying the SIP Call-ID, is recorded once the INVITE has left, so a leg is initiated exactly once.
  const first = requestLeg(
    {
      callId: d.callId,
      legId,
      bridgeWithLegId: '',
      toUri: d.toUri,
      fromUri: d.fromUri,
      ringTimeoutMs: d.ringTimeoutMs,
      clientState: d.clientState,
      headers: {},
      idempotencyKey: '',
    },
    c.metadata.now,
  );
  return {
    resultId: legId,
    deadlines: first.deadlines,
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
      first.event,
    ],
  };
};

export const recordInboundCall = (state: CallState, c: Cmd<'RecordInboundCall'>): Decision => {
  if (state.status !== 'none') return none; // the INVITE was reported twice
  const d = c.data;
  const legId = c.metadata.newId;
  return {
    resultId: legId,
    events: [
      {
        type: 'CallCreated',
        data: {
          callId: d.callId,
          clientState: d.clientState,
          maxDurationMs: d.maxDurationMs ?? 0,
          idempotencyKey: '',
        },
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
          ...(d.media ? { media: d.media } : {}),
          ...originOf(d),
        },
      },
      {
        type: 'LegRinging',
        data: { callId: d.callId, legId, earlyMedia: false, clientState: d.clientState },
      },
    ],
  };
};

export const answerLeg = (s: Active, c: Cmd<'AnswerLeg'>, ctx: DecideContext): Decision => {
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
  const clientState = c.data.clientState || s.clientState;
  const out: CallEvent[] = [];
  // The limit from AnswerLeg (or the platform default the adapter put in) replaces the call's before the
  // answer, so the first answer arms it like CreateCall's (RecordLegAnswered).
  const maxDurationMs = c.data.maxDurationMs ?? s.maxDurationMs;
  if (maxDurationMs !== s.maxDurationMs)
    out.push({ type: 'CallMaxDurationSet', data: { callId: s.callId, maxDurationMs, clientState } });
  out.push({ type: 'LegAnswered', data: { callId: s.callId, legId: l.legId, clientState } });
  if (c.data.detectInbandDtmf)
    out.push({
      type: 'DtmfDetectionChanged',
      data: { callId: s.callId, legId: l.legId, inband: true, clientState },
    });
  const firstAnswer = !s.answered && maxDurationMs > 0;
  const then = ctx.legAnswered(s, l.legId, c.metadata.now);
  return {
    events: [...out, ...then.events],
    deadlines: [
      ...(firstAnswer ? [{ kind: 'maxDuration' as const, atMs: c.metadata.now + maxDurationMs }] : []),
      ...(then.deadlines ?? []),
    ],
  };
};

export const rejectLeg = (s: Active, c: Cmd<'RejectLeg'>, ctx: DecideContext): Decision => {
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
  const cause = c.data.cause ?? EndCause.END_CAUSE_REJECTED;
  return { events: ctx.endLeg(s, l, cause, sipStatus, c.data.reason) };
};

export const hangup = (state: CallState, c: Cmd<'Hangup'>, ctx: DecideContext): Decision => {
  if (state.status === 'ended') return none; // safe to retry
  const s = active(state);
  // The whole call: its party legs; supervisor legs (monitoring) end with the call, after their monitors.
  const targets = c.data.legId ? [leg(s, c.data.legId)] : Object.values(s.legs).filter((l) => !l.role);
  let cur: CallState = s;
  const out: CallEvent[] = [];
  for (const t of targets) {
    if (cur.status !== 'active') break;
    const l = cur.legs[t.legId];
    if (!l || l.status === 'ended') continue;
    const evs = ctx.endLeg(
      cur,
      l,
      c.data.cause ?? EndCause.END_CAUSE_LOCAL_HANGUP,
      0,
      c.data.reason ?? 'hangup requested',
    );
    out.push(...evs);
    cur = evs.reduce(ctx.evolve, cur);
  }
  return { events: out };
};

export const recordLegInitiated = (s: Active, c: Cmd<'RecordLegInitiated'>): Decision => {
  const l = leg(s, c.data.legId);
  // The INVITE left (the SIP edge knows its Call-ID now); a repeat report, or one after 18x, changes nothing.
  if (l.status !== 'initiated' || l.sipCallId === c.data.sipCallId) return none;
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
          ...(c.data.media ? { media: c.data.media } : {}),
          // A supervisor or participant leg says so; a party leg's LegInitiated stays as it always was.
          ...roleOf(l),
          // The trunk or user sip-edge routed it to (a repeated INVITE's report may say nothing new).
          ...originOf({ trunk: c.data.trunk ?? l.trunk, user: c.data.user ?? l.user }),
        },
      },
    ],
  };
};

/**
 * One attempt of an outbound leg failed and sip-edge moved on (the next gateway) or gives up (LegEnded
 * follows). A repeated report, or one about a leg that has ended, records nothing.
 */
export const recordLegAttemptFailed = (s: Active, c: Cmd<'RecordLegAttemptFailed'>): Decision => {
  const l = leg(s, c.data.legId);
  if (attemptSettled(l, c.data.attempt)) return none;
  const { legId, attempt, trunk, gateway, requestUri, sipStatus, reason, failover } = c.data;
  return {
    events: [
      {
        type: 'LegAttemptFailed',
        data: {
          callId: s.callId,
          legId,
          attempt,
          trunk,
          gateway,
          requestUri,
          sipStatus,
          reason,
          failover,
          clientState: s.clientState,
        },
      },
    ],
  };
};

/** Whether an attempt's failure is in the leg's record for good: an earlier or equal attempt, or the leg ended. */
export const attemptSettled = (l: Leg, attempt: number): boolean =>
  l.status === 'ended' || attempt <= (l.failedAttempts ?? 0);

export const recordLegRinging = (s: Active, c: Cmd<'RecordLegRinging'>, ctx: DecideContext): Decision => {
  const l = leg(s, c.data.legId);
  if (l.status === 'ringing' && l.earlyMedia === c.data.earlyMedia) return none;
  if (l.status !== 'initiated' && l.status !== 'ringing') return none; // a late 18x after answer or end changes nothing
  const ringing: CallEvent = {
    type: 'LegRinging',
    data: { callId: s.callId, legId: l.legId, earlyMedia: c.data.earlyMedia, clientState: s.clientState },
  };
  return { events: [ringing, ...ctx.legRinging(ctx.evolve(s, ringing) as Active, l.legId)] };
};

export const recordLegAnswered = (s: Active, c: Cmd<'RecordLegAnswered'>, ctx: DecideContext): Decision => {
  const l = leg(s, c.data.legId);
  if (l.status === 'answered' || l.status === 'ended') return none;
  const out: CallEvent[] = [
    { type: 'LegAnswered', data: { callId: s.callId, legId: l.legId, clientState: s.clientState } },
  ];
  // A dialled leg is bridged with the leg it was dialled from once both are answered, whichever answers
  // last: from an inbound leg still ringing (a B2BUA), sip-edge answers that leg when the dialled one does.
  const pair = l.bridgeWithOnAnswer
    ? { a: s.legs[l.bridgeWithOnAnswer], b: l }
    : { a: l, b: Object.values(s.legs).find((o) => o.bridgeWithOnAnswer === l.legId) };
  const other = pair.a === l ? pair.b : pair.a;
  if (pair.a && pair.b && other?.status === 'answered' && !other.bridgeId)
    out.push({
      type: 'LegsBridged',
      data: {
        callId: s.callId,
        bridgeId: c.metadata.newId,
        legAId: pair.a.legId,
        legBId: pair.b.legId,
        clientState: s.clientState,
        idempotencyKey: '',
        mediaSessionId: '',
      },
    });
  const firstAnswer = !s.answered && s.maxDurationMs > 0;
  const then = ctx.legAnswered(s, l.legId, c.metadata.now);
  out.push(...then.events);
  return {
    events: out,
    deadlines: [...(firstAnswer ? [maxDuration(s, c.metadata.now)] : []), ...(then.deadlines ?? [])],
  };
};

const maxDuration = (s: Active, now: number): Deadline => ({
  kind: 'maxDuration',
  atMs: now + s.maxDurationMs,
});

export const recordLegEnded = (s: Active, c: Cmd<'RecordLegEnded'>, ctx: DecideContext): Decision => {
  const l = leg(s, c.data.legId);
  return l.status === 'ended'
    ? none
    : { events: ctx.endLeg(s, l, c.data.cause, c.data.sipStatus, c.data.reason, c.data.receivedReason) };
};
