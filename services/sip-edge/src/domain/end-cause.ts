import { callEvents } from '@callctl/proto';
import type { SipReason } from '@callctl/sip';

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

/** A Q.850 cause (ITU-T Q.850 §2.2.5) with its standard name. */
export interface Q850Cause {
  cause: number;
  name: string;
}

const NORMAL_CLEARING: Q850Cause = { cause: 16, name: 'Normal call clearing' };

/**
 * The Q.850 cause the platform gives (RFC 3326 Reason on its BYE and CANCEL) for why it ends a leg. Peers
 * behind a PSTN gateway map these to ISUP release causes, so each is the nearest standard meaning.
 */
export function q850OfEndCause(cause: EndCause): Q850Cause {
  switch (cause) {
    case EndCause.END_CAUSE_BUSY:
      return { cause: 17, name: 'User busy' };
    case EndCause.END_CAUSE_NO_ANSWER:
      return { cause: 19, name: 'No answer from user' };
    case EndCause.END_CAUSE_REJECTED:
      return { cause: 21, name: 'Call rejected' };
    case EndCause.END_CAUSE_UNREACHABLE:
      return { cause: 27, name: 'Destination out of order' };
    case EndCause.END_CAUSE_NO_ROUTE:
      return { cause: 3, name: 'No route to destination' };
    case EndCause.END_CAUSE_NOT_REGISTERED:
      return { cause: 20, name: 'Subscriber absent' };
    case EndCause.END_CAUSE_PLATFORM_FAILURE:
    case EndCause.END_CAUSE_MEDIA_TIMEOUT:
      return { cause: 41, name: 'Temporary failure' };
    case EndCause.END_CAUSE_UNSPECIFIED:
      return { cause: 31, name: 'Normal, unspecified' };
    default:
      // Hangups, the maximum duration, a bridge peer gone, transfers: the call simply ends.
      return NORMAL_CLEARING;
  }
}

/** RFC 3326 Reason for a BYE or CANCEL the platform sends: the cause's Q.850 code, the given text or its name. */
export function platformReason(cause: EndCause, text: string): SipReason {
  const q850 = q850OfEndCause(cause);
  return { protocol: 'Q.850', cause: q850.cause, text: text || q850.name };
}
