// One-line test builders of legs and the call: events, commands, and short histories.
import { callEvents } from '@callctl/proto';
import type { CallCommand, LegOrigin } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta, CALL, STATE } from '../../testing/builder-base';

const { LegDirection } = callEvents;

export const callCreated = (key = 'k-create', maxDurationMs = 60_000): CallEvent => ({
  type: 'CallCreated',
  data: { ...base, maxDurationMs, idempotencyKey: key },
});

export const legInitiated = (
  legId: string,
  dir: 'in' | 'out' = 'out',
  sipCallId = '',
  origin: LegOrigin = {},
): CallEvent => ({
  type: 'LegInitiated',
  data: {
    ...base,
    legId,
    direction: dir === 'in' ? LegDirection.LEG_DIRECTION_INBOUND : LegDirection.LEG_DIRECTION_OUTBOUND,
    fromUri: 'sip:app@127.0.0.1',
    toUri: `sip:${legId}@127.0.0.1`,
    sipCallId,
    ringTimeoutMs: dir === 'in' ? 0 : 30_000,
    ...origin,
  },
});

/** A gateway's failed attempt on an outbound leg (trunk `carrier`, gateway 127.0.0.<attempt>). */
const failedAttempt = (legId: string, attempt: number, sipStatus: number, failover: boolean) => ({
  legId,
  attempt,
  trunk: 'carrier',
  gateway: `127.0.0.${attempt}:5060;transport=udp`,
  requestUri: `sip:442071234567@127.0.0.${attempt}:5060`,
  sipStatus,
  reason: sipStatus ? `SIP ${sipStatus}` : 'timeout',
  failover,
});

export const legAttemptFailed = (
  legId: string,
  attempt = 1,
  sipStatus = 503,
  failover = true,
): CallEvent => ({
  type: 'LegAttemptFailed',
  data: { ...base, ...failedAttempt(legId, attempt, sipStatus, failover) },
});

export const recordLegAttemptFailed = (
  legId: string,
  attempt = 1,
  sipStatus = 503,
  failover = true,
): CallCommand => ({
  type: 'RecordLegAttemptFailed',
  data: failedAttempt(legId, attempt, sipStatus, failover),
  metadata: meta(),
});

export const legRinging = (legId: string, earlyMedia = false): CallEvent => ({
  type: 'LegRinging',
  data: { ...base, legId, earlyMedia },
});

export const legAnswered = (legId: string, clientState = STATE): CallEvent => ({
  type: 'LegAnswered',
  data: { ...base, legId, clientState },
});

export const legEnded = (
  legId: string,
  cause: callEvents.EndCause,
  sipStatus = 0,
  reason = '',
  receivedReason?: callEvents.SipReason,
): CallEvent => ({
  type: 'LegEnded',
  data: { ...base, legId, cause, sipStatus, reason, ...(receivedReason ? { receivedReason } : {}) },
});

export const callEnded = (cause: callEvents.EndCause): CallEvent => ({
  type: 'CallEnded',
  data: { ...base, cause, talkDurationMs: 0 },
});

export const createCall = (
  newId = 'A',
  key: string | undefined = 'k-create',
  toUri = 'sip:A@127.0.0.1',
): CallCommand => ({
  type: 'CreateCall',
  data: {
    callId: CALL,
    toUri,
    fromUri: 'sip:app@127.0.0.1',
    ringTimeoutMs: 30_000,
    maxDurationMs: 60_000,
    clientState: STATE,
  },
  metadata: meta(newId, key),
});

export const recordInboundCall = (newId = 'A', origin: LegOrigin = {}): CallCommand => ({
  type: 'RecordInboundCall',
  data: {
    callId: CALL,
    fromUri: 'sip:app@127.0.0.1',
    toUri: `sip:${newId}@127.0.0.1`,
    sipCallId: '',
    clientState: STATE,
    ...origin,
  },
  metadata: meta(newId),
});

export const answerLeg = (legId: string, clientState?: string): CallCommand => ({
  type: 'AnswerLeg',
  data: { legId, clientState },
  metadata: meta(),
});

export const rejectLeg = (
  legId: string,
  sipStatus = 486,
  reason = 'Busy Here',
  cause?: callEvents.EndCause,
): CallCommand => ({
  type: 'RejectLeg',
  data: { legId, sipStatus, reason, ...(cause === undefined ? {} : { cause }) },
  metadata: meta(),
});

export const hangup = (legId?: string, cause?: callEvents.EndCause, reason?: string): CallCommand => ({
  type: 'Hangup',
  data: { legId, cause, reason },
  metadata: meta(),
});

export const recordLegInitiated = (
  legId: string,
  sipCallId = 'sip-1',
  origin: Omit<LegOrigin, 'routedTo'> = {},
): CallCommand => ({
  type: 'RecordLegInitiated',
  data: { legId, sipCallId, ...origin },
  metadata: meta(),
});

export const recordLegRinging = (legId: string, earlyMedia = false): CallCommand => ({
  type: 'RecordLegRinging',
  data: { legId, earlyMedia },
  metadata: meta(),
});

export const recordLegAnswered = (legId: string, newId = 'BR1'): CallCommand => ({
  type: 'RecordLegAnswered',
  data: { legId },
  metadata: meta(newId),
});

export const recordLegEnded = (
  legId: string,
  cause: callEvents.EndCause,
  sipStatus = 0,
  reason = '',
  receivedReason?: callEvents.SipReason,
): CallCommand => ({
  type: 'RecordLegEnded',
  data: { legId, cause, sipStatus, reason, ...(receivedReason ? { receivedReason } : {}) },
  metadata: meta(),
});

export const outboundRinging = (): CallEvent[] => [callCreated(), legInitiated('A'), legRinging('A')];

export const inboundRinging = (): CallEvent[] => [
  callCreated('', 0),
  legInitiated('A', 'in'),
  legRinging('A'),
];

export const answeredA = (): CallEvent[] => [...outboundRinging(), legAnswered('A')];

export const bothAnswered = (): CallEvent[] => [...answeredA(), legInitiated('B'), legAnswered('B')];
