// One-line builders of events and commands for the domain tests. Ids: call C1, legs by name ('A', 'B').
import { callEvents } from '@callctl/proto';
import type { CallCommand, CommandMetadata } from '../call.commands';
import type { CallEvent } from '../call.events';

export const CALL = 'C1';
export const STATE = 'app-state';
const { LegDirection, EndCause, PlaybackEndReason, CollectEndReason } = callEvents;
export { EndCause, PlaybackEndReason, CollectEndReason };
const base = { callId: CALL, clientState: STATE };
const meta = (newId = 'new-1', idempotencyKey?: string): CommandMetadata => ({
  now: 1_000,
  newId,
  idempotencyKey,
});

// events
export const callCreated = (key = 'k-create', maxDurationMs = 60_000): CallEvent => ({
  type: 'CallCreated',
  data: { ...base, maxDurationMs, idempotencyKey: key },
});
export const legInitiated = (legId: string, dir: 'in' | 'out' = 'out', sipCallId = ''): CallEvent => ({
  type: 'LegInitiated',
  data: {
    ...base,
    legId,
    direction: dir === 'in' ? LegDirection.LEG_DIRECTION_INBOUND : LegDirection.LEG_DIRECTION_OUTBOUND,
    fromUri: 'sip:app@127.0.0.1',
    toUri: `sip:${legId}@127.0.0.1`,
    sipCallId,
    ringTimeoutMs: dir === 'in' ? 0 : 30_000,
  },
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
): CallEvent => ({ type: 'LegEnded', data: { ...base, legId, cause, sipStatus, reason } });
export const callEnded = (cause: callEvents.EndCause): CallEvent => ({
  type: 'CallEnded',
  data: { ...base, cause, talkDurationMs: 0 },
});
export const playbackStarted = (
  legId: string,
  playbackId: string,
  key = 'k-play',
  mediaUri = 'http://127.0.0.1/a.wav',
  repeat = 1,
): CallEvent => ({
  type: 'PlaybackStarted',
  data: { ...base, legId, playbackId, mediaUri, repeat, idempotencyKey: key },
});
export const playbackFinished = (
  legId: string,
  playbackId: string,
  reason: callEvents.PlaybackEndReason,
): CallEvent => ({ type: 'PlaybackFinished', data: { ...base, legId, playbackId, reason } });
export const collectStarted = (
  legId: string,
  collectId: string,
  o: { maxDigits?: number; terminators?: string; key?: string } = {},
): CallEvent => ({
  type: 'DigitCollectionStarted',
  data: {
    ...base,
    legId,
    collectId,
    maxDigits: o.maxDigits ?? 4,
    terminators: o.terminators ?? '#',
    firstDigitTimeoutMs: 5000,
    interDigitTimeoutMs: 3000,
    idempotencyKey: o.key ?? 'k-collect',
  },
});
export const dtmfReceived = (legId: string, digit: string, collectId = ''): CallEvent => ({
  type: 'DtmfReceived',
  data: { ...base, legId, digit, collectId },
});
export const digitsCollected = (
  legId: string,
  collectId: string,
  digits: string,
  reason: callEvents.CollectEndReason,
  terminator = '',
): CallEvent => ({
  type: 'DigitsCollected',
  data: { ...base, legId, collectId, digits, reason, terminator },
});
export const echoStarted = (legId: string): CallEvent => ({ type: 'EchoStarted', data: { ...base, legId } });
export const echoStopped = (legId: string): CallEvent => ({ type: 'EchoStopped', data: { ...base, legId } });
export const legsBridged = (a: string, b: string, bridgeId = 'BR1', key = 'k-bridge'): CallEvent => ({
  type: 'LegsBridged',
  data: { ...base, bridgeId, legAId: a, legBId: b, idempotencyKey: key, mediaSessionId: '' },
});
export const bridgeEnded = (endedLegId: string, bridgeId = 'BR1'): CallEvent => ({
  type: 'BridgeEnded',
  data: { ...base, bridgeId, endedLegId },
});
export const dialRequested = (legId: string, withLeg: string, key = 'k-dial'): CallEvent => ({
  type: 'DialRequested',
  data: {
    ...base,
    legId,
    bridgeWithLegId: withLeg,
    toUri: `sip:${legId}@127.0.0.1`,
    fromUri: 'sip:app@127.0.0.1',
    ringTimeoutMs: 30_000,
    idempotencyKey: key,
  },
});

// commands
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
export const recordInboundCall = (newId = 'A'): CallCommand => ({
  type: 'RecordInboundCall',
  data: {
    callId: CALL,
    fromUri: 'sip:app@127.0.0.1',
    toUri: `sip:${newId}@127.0.0.1`,
    sipCallId: '',
    clientState: STATE,
  },
  metadata: meta(newId),
});
export const answerLeg = (legId: string, clientState?: string): CallCommand => ({
  type: 'AnswerLeg',
  data: { legId, clientState },
  metadata: meta(),
});
export const rejectLeg = (legId: string, sipStatus = 486, reason = 'Busy Here'): CallCommand => ({
  type: 'RejectLeg',
  data: { legId, sipStatus, reason },
  metadata: meta(),
});
export const hangup = (legId?: string, cause?: callEvents.EndCause, reason?: string): CallCommand => ({
  type: 'Hangup',
  data: { legId, cause, reason },
  metadata: meta(),
});
export const playMedia = (
  legId: string,
  newId = 'P1',
  key: string | undefined = 'k-play',
  mediaUri = 'http://127.0.0.1/a.wav',
): CallCommand => ({ type: 'PlayMedia', data: { legId, mediaUri, repeat: 1 }, metadata: meta(newId, key) });
export const stopMedia = (playbackId: string): CallCommand => ({
  type: 'StopMedia',
  data: { playbackId },
  metadata: meta(),
});
export const collectDigits = (
  legId: string,
  o: { newId?: string; key?: string; maxDigits?: number; terminators?: string } = {},
): CallCommand => ({
  type: 'CollectDigits',
  data: {
    legId,
    maxDigits: o.maxDigits ?? 4,
    terminators: o.terminators ?? '#',
    firstDigitTimeoutMs: 5000,
    interDigitTimeoutMs: 3000,
  },
  metadata: meta(o.newId ?? 'D1', o.key ?? 'k-collect'),
});
export const startEcho = (legId: string): CallCommand => ({
  type: 'StartEcho',
  data: { legId },
  metadata: meta(),
});
export const stopEcho = (legId: string): CallCommand => ({
  type: 'StopEcho',
  data: { legId },
  metadata: meta(),
});
export const bridgeLegs = (a: string, b: string, newId = 'BR1', key = 'k-bridge'): CallCommand => ({
  type: 'BridgeLegs',
  data: { legAId: a, legBId: b },
  metadata: meta(newId, key),
});
export const dial = (
  withLeg: string,
  newId = 'B',
  key = 'k-dial',
  toUri = `sip:${newId}@127.0.0.1`,
): CallCommand => ({
  type: 'Dial',
  data: { bridgeWithLegId: withLeg, toUri, fromUri: 'sip:app@127.0.0.1', ringTimeoutMs: 30_000 },
  metadata: meta(newId, key),
});
export const recordLegInitiated = (legId: string, sipCallId = 'sip-1'): CallCommand => ({
  type: 'RecordLegInitiated',
  data: { legId, sipCallId },
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
): CallCommand => ({ type: 'RecordLegEnded', data: { legId, cause, sipStatus, reason }, metadata: meta() });
export const recordLegsBridged = (a: string, b: string, bridgeId = 'BR1', key = 'k-bridge'): CallCommand => ({
  type: 'RecordLegsBridged',
  data: { legAId: a, legBId: b, bridgeId, idempotencyKey: key },
  metadata: meta(),
});
export const recordDtmf = (legId: string, digit: string): CallCommand => ({
  type: 'RecordDtmf',
  data: { legId, digit },
  metadata: meta(),
});
export const recordPlaybackFinished = (playbackId: string, failed = false): CallCommand => ({
  type: 'RecordPlaybackFinished',
  data: { playbackId, failed },
  metadata: meta(),
});
export const recordCollectTimeout = (collectId: string, expectedDigits: number): CallCommand => ({
  type: 'RecordCollectTimeout',
  data: { collectId, expectedDigits },
  metadata: meta(),
});

// histories
export const outboundRinging = (): CallEvent[] => [callCreated(), legInitiated('A'), legRinging('A')];
export const inboundRinging = (): CallEvent[] => [
  callCreated('', 0),
  legInitiated('A', 'in'),
  legRinging('A'),
];
export const answeredA = (): CallEvent[] => [...outboundRinging(), legAnswered('A')];
export const bothAnswered = (): CallEvent[] => [...answeredA(), legInitiated('B'), legAnswered('B')];
