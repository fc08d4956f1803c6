// A callback, as its own stream tells it (`callback-<id>`), plus what this process saw of its call since it
// started (LiveCallFacts): those facts are never needed to end a callback right, only to pace it (see
// owedCommands for what a restart does without them).
import type { callbackEvents } from '@callctl/proto';

type Events = typeof callbackEvents;
type Payload<K extends keyof Events> = Events[K] extends { fromJSON(o: unknown): infer T } ? T : never;

export type CallbackEvent =
  | { type: 'CallbackRequested'; data: Payload<'CallbackRequested'> }
  | { type: 'CallbackUser1Called'; data: Payload<'CallbackUser1Called'> }
  | { type: 'CallbackUser1Ringing'; data: Payload<'CallbackUser1Ringing'> }
  | { type: 'CallbackUser1Answered'; data: Payload<'CallbackUser1Answered'> }
  | { type: 'CallbackUser2Called'; data: Payload<'CallbackUser2Called'> }
  | { type: 'CallbackUser2Ringing'; data: Payload<'CallbackUser2Ringing'> }
  | { type: 'CallbackUser2Answered'; data: Payload<'CallbackUser2Answered'> }
  | { type: 'CallbackBridged'; data: Payload<'CallbackBridged'> }
  | { type: 'CallbackCancelRequested'; data: Payload<'CallbackCancelRequested'> }
  | { type: 'CallbackEnded'; data: Payload<'CallbackEnded'> }
  | { type: 'CallbackFailed'; data: Payload<'CallbackFailed'> }
  | { type: 'CallbackResponseSettled'; data: Payload<'CallbackResponseSettled'> };

export type CallbackEventType = CallbackEvent['type'];

export const CALLBACK_EVENT_TYPES: ReadonlySet<string> = new Set<CallbackEventType>([
  'CallbackRequested',
  'CallbackUser1Called',
  'CallbackUser1Ringing',
  'CallbackUser1Answered',
  'CallbackUser2Called',
  'CallbackUser2Ringing',
  'CallbackUser2Answered',
  'CallbackBridged',
  'CallbackCancelRequested',
  'CallbackEnded',
  'CallbackFailed',
  'CallbackResponseSettled',
]);

/** The steps a callback drives its call through; `<callbackId>:<step>` is each request's idempotency key. */
/**
 * `user2failedAgain`: the user2-failed announcement played once more because a late start of user1's own
 * announcement (its speech still being synthesized when user2 failed) replaced it.
 */
export type PlayStep = 'ann1' | 'ann2' | 'digits2' | 'user2failed' | 'user2failedAgain';
export type Step = 'user1' | 'user2' | 'bridge' | PlayStep;

export const stepKey = (callbackId: string, step: Step) => `${callbackId}:${step}`;

/** What this process saw of the call and recorded nowhere (the call's own log has it). */
export interface LiveCallFacts {
  /** Our playbacks by playback id: PlaybackFinished says which step finished. */
  playbacks: Readonly<Record<string, PlayStep>>;
  /** When the call's log recorded BridgeEnded (the same transaction as the first bridged LegEnded). */
  bridgeEndedAt?: Date;
  /** user1 hears the user2-failed announcement before the call is hung up. */
  releasing: boolean;
  /** CallEnded was seen. */
  callOver: boolean;
}

export interface CallbackState {
  callbackId: string;
  /** The stream's version (events folded). */
  version: number;
  /** Global position of the last event folded (0 for an event not read from the log yet). */
  position: number;
  request?: callbackEvents.CallbackRequested;
  requestedAt?: Date;
  callId: string;
  user1LegId: string;
  user2LegId: string;
  user1Ringing: boolean;
  user2Ringing: boolean;
  user1AnsweredAt?: Date;
  user2AnsweredAt?: Date;
  bridgeId: string;
  bridgedAt?: Date;
  cancelReason?: string;
  ended?: callbackEvents.CallbackEnded;
  /** When CallbackEnded or CallbackFailed was recorded in this log. */
  overAt?: Date;
  failed?: callbackEvents.CallbackFailed;
  settled: boolean;
  live: LiveCallFacts;
}

export const NO_LIVE_FACTS: LiveCallFacts = { playbacks: {}, releasing: false, callOver: false };

export function initialState(callbackId: string): CallbackState {
  return {
    callbackId,
    version: 0,
    position: 0,
    callId: '',
    user1LegId: '',
    user2LegId: '',
    user1Ringing: false,
    user2Ringing: false,
    bridgeId: '',
    settled: false,
    live: NO_LIVE_FACTS,
  };
}

/** Ended or failed: nothing more will be recorded about the call (a RESPONSE may still be settled). */
export const isOver = (s: CallbackState) => s.ended !== undefined || s.failed !== undefined;

/** Where the event stands in the log (the store's envelope). */
export interface EventPlace {
  version: number;
  position: number;
  recordedAt: Date;
}

export function evolve(s: CallbackState, e: CallbackEvent, at: EventPlace): CallbackState {
  const next = { ...s, version: at.version, position: Math.max(s.position, at.position) };
  switch (e.type) {
    case 'CallbackRequested':
      return { ...next, request: e.data, requestedAt: at.recordedAt };
    case 'CallbackUser1Called':
      return { ...next, callId: e.data.callId, user1LegId: e.data.legId };
    case 'CallbackUser1Ringing':
      return { ...next, user1Ringing: true };
    case 'CallbackUser1Answered':
      return { ...next, user1AnsweredAt: e.data.answeredAt ?? at.recordedAt };
    case 'CallbackUser2Called':
      return { ...next, user2LegId: e.data.legId };
    case 'CallbackUser2Ringing':
      return { ...next, user2Ringing: true };
    case 'CallbackUser2Answered':
      return { ...next, user2AnsweredAt: e.data.answeredAt ?? at.recordedAt };
    case 'CallbackBridged':
      return { ...next, bridgeId: e.data.bridgeId, bridgedAt: e.data.bridgedAt ?? at.recordedAt };
    case 'CallbackCancelRequested':
      return { ...next, cancelReason: e.data.reason };
    case 'CallbackEnded':
      return { ...next, ended: e.data, overAt: at.recordedAt };
    case 'CallbackFailed':
      return { ...next, failed: e.data, overAt: at.recordedAt };
    case 'CallbackResponseSettled':
      return { ...next, settled: true };
  }
}
