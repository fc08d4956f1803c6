// What a callback's end is called, from what the call's log said about the leg that ended it.
import { callbackEvents, callEvents } from '@callctl/proto';

const { EndCause } = callEvents;
const { CallbackEndCause: Cause } = callbackEvents;
export type CallbackEndCause = callbackEvents.CallbackEndCause;

export type User = 'user1' | 'user2';

const UNANSWERED = {
  user1: {
    busy: Cause.CALLBACK_END_CAUSE_USER1_BUSY,
    noAnswer: Cause.CALLBACK_END_CAUSE_USER1_NO_ANSWER,
    rejected: Cause.CALLBACK_END_CAUSE_USER1_REJECTED,
    unreachable: Cause.CALLBACK_END_CAUSE_USER1_UNREACHABLE,
  },
  user2: {
    busy: Cause.CALLBACK_END_CAUSE_USER2_BUSY,
    noAnswer: Cause.CALLBACK_END_CAUSE_USER2_NO_ANSWER,
    rejected: Cause.CALLBACK_END_CAUSE_USER2_REJECTED,
    unreachable: Cause.CALLBACK_END_CAUSE_USER2_UNREACHABLE,
  },
} as const;

/**
 * A user's leg that ended before it was answered. The SIP status wins over the platform's cause where they
 * say different things (486/600 busy, 603 declined), so a gateway's odd mapping still reads right.
 */
export function unansweredCause(user: User, cause: callEvents.EndCause, sipStatus: number): CallbackEndCause {
  const causes = UNANSWERED[user];
  if (sipStatus === 486 || sipStatus === 600 || cause === EndCause.END_CAUSE_BUSY) return causes.busy;
  if (sipStatus === 603 || cause === EndCause.END_CAUSE_REJECTED) return causes.rejected;
  if (cause === EndCause.END_CAUSE_NO_ROUTE || cause === EndCause.END_CAUSE_NOT_REGISTERED)
    return causes.unreachable; // the dial plan's verdict, whatever status (404, 480) said it
  if (cause === EndCause.END_CAUSE_NO_ANSWER) return causes.noAnswer;
  if (cause === EndCause.END_CAUSE_UNREACHABLE || sipStatus >= 400) return causes.unreachable;
  if (cause === EndCause.END_CAUSE_MAX_DURATION) return Cause.CALLBACK_END_CAUSE_MAX_DURATION;
  return Cause.CALLBACK_END_CAUSE_PLATFORM_FAILURE;
}

/** A user's answered leg that ended (before or after the bridge). */
export function answeredCause(user: User, cause: callEvents.EndCause): CallbackEndCause {
  switch (cause) {
    case EndCause.END_CAUSE_REMOTE_HANGUP:
      return user === 'user1' ? Cause.CALLBACK_END_CAUSE_USER1_HANGUP : Cause.CALLBACK_END_CAUSE_USER2_HANGUP;
    case EndCause.END_CAUSE_MAX_DURATION:
      return Cause.CALLBACK_END_CAUSE_MAX_DURATION;
    // Someone hung the call up through the API (not this service: its own Hangup follows a cancel or an end
    // already recorded): an application's cancel.
    case EndCause.END_CAUSE_LOCAL_HANGUP:
      return Cause.CALLBACK_END_CAUSE_CANCELLED;
    default:
      return Cause.CALLBACK_END_CAUSE_PLATFORM_FAILURE;
  }
}

/** True for the causes that mean user2 could not be had (user1 hears the user2-failed announcement). */
export function isUser2Failure(cause: CallbackEndCause): boolean {
  return (
    cause === Cause.CALLBACK_END_CAUSE_USER2_HANGUP ||
    cause === Cause.CALLBACK_END_CAUSE_USER2_BUSY ||
    cause === Cause.CALLBACK_END_CAUSE_USER2_NO_ANSWER ||
    cause === Cause.CALLBACK_END_CAUSE_USER2_REJECTED ||
    cause === Cause.CALLBACK_END_CAUSE_USER2_UNREACHABLE
  );
}

/** Whole seconds of a bridge, to the nearest second, a half up (1499 ms -> 1, 1500 ms -> 2); never negative. */
export function realDurationS(bridgedMs: number): number {
  return bridgedMs <= 0 ? 0 : Math.floor((bridgedMs + 500) / 1000);
}
