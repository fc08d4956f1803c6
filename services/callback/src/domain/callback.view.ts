// The public view of a callback (callctl.v1.CallbackView), from its state.
import { callback, callbackEvents } from '@callctl/proto';
import type { CallbackState } from './callback.state.js';

const { CallbackState: State } = callback;

export function stateOf(s: CallbackState): callback.CallbackState {
  if (s.failed) return State.CALLBACK_STATE_FAILED;
  if (s.ended)
    return s.live.releasing && !s.live.callOver ? State.CALLBACK_STATE_RELEASING : State.CALLBACK_STATE_ENDED;
  if (s.bridgedAt) return State.CALLBACK_STATE_BRIDGED;
  if (s.user2AnsweredAt) return State.CALLBACK_STATE_CONNECTING;
  if (s.user1AnsweredAt) return State.CALLBACK_STATE_CALLING_USER2;
  if (s.callId) return State.CALLBACK_STATE_CALLING_USER1;
  return State.CALLBACK_STATE_REQUESTED;
}

export function viewOf(s: CallbackState): callback.CallbackView {
  const r = s.request;
  return {
    callbackId: s.callbackId,
    state: stateOf(s),
    user1: r?.user1 ?? '',
    user2: r?.user2 ?? '',
    user1Uri: r?.user1Uri ?? '',
    user2Uri: r?.user2Uri ?? '',
    callerUri: r?.callerUri ?? '',
    maxDurationS: r?.maxDurationS ?? 0,
    origin: r?.origin,
    callId: s.callId,
    user1LegId: s.user1LegId,
    user2LegId: s.user2LegId,
    requestedAt: s.requestedAt,
    user1AnsweredAt: s.user1AnsweredAt,
    user2AnsweredAt: s.user2AnsweredAt,
    bridgedAt: s.bridgedAt,
    endedAt: s.ended?.endedAt ?? (s.failed ? s.overAt : undefined),
    realDurationS: s.ended?.realDurationS ?? 0,
    endCause: s.ended?.cause ?? callbackEvents.CallbackEndCause.CALLBACK_END_CAUSE_UNSPECIFIED,
    sipStatus: s.ended?.sipStatus ?? 0,
    failureCode: s.failed?.code ?? '',
    failureMessage: s.failed?.message ?? '',
    clientState: r?.clientState ?? '',
    version: s.version,
  };
}
