import { callEvents } from '@callctl/proto';

const { EndCause } = callEvents;
export type EndCause = callEvents.EndCause;

/** Why sip-edge itself cancelled an outbound INVITE, if it did. */
export type CancelReason = 'ring-timeout' | 'hangup';

/**
 * The cause of an outbound leg that ended with a non-2xx final response, following the comments of
 * callctl.events.v1.EndCause: 486/600 busy, 603 declined, 487 after our own CANCEL is no answer (ring
 * timeout) or our hangup, 404/408/480/5xx and other 4xx unreachable, other 6xx declined.
 */
export function endCauseOfFinalStatus(status: number, cancelled: CancelReason | undefined): EndCause {
  if (status === 487 && cancelled === 'ring-timeout') return EndCause.END_CAUSE_NO_ANSWER;
  if (status === 487 && cancelled === 'hangup') return EndCause.END_CAUSE_LOCAL_HANGUP;
  if (status === 486 || status === 600) return EndCause.END_CAUSE_BUSY;
  if (status === 603 || (status >= 600 && status < 700)) return EndCause.END_CAUSE_REJECTED;
  return EndCause.END_CAUSE_UNREACHABLE;
}
