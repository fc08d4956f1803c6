// What a failed outbound INVITE attempt means for the leg (pure). A carrier's gateway that is down, busy
// with its own trouble or silent (408, 5xx, no answer in time, a transport failure) is no answer about the
// callee, so the next gateway of the trunk is tried; any other final status is the callee's answer (486
// busy, 603 declined, 404 unknown number...) and ends the leg, since another gateway would only repeat it.
import type { GatewayView } from '@callctl/provisioning';

export type AttemptVerdict =
  /** 401/407: answer the challenge with the trunk's credentials, once per attempt (again only if stale). */
  | 'challenge'
  /** The gateway failed, not the call: the next gateway, if any. */
  | 'failover'
  /** The callee's answer: the leg ends with it. */
  | 'final';

/** `status` 0 stands for a timeout or a transport failure (no final response at all). */
export function verdictOfStatus(status: number): AttemptVerdict {
  if (status === 401 || status === 407) return 'challenge';
  if (status === 0 || status === 408 || (status >= 500 && status < 600)) return 'failover';
  return 'final';
}

/** A gateway as LegAttemptFailed names it: host:port;transport=udp|tcp|tls. */
export function gatewayLabel(gateway: GatewayView): string {
  return `${gateway.host}:${gateway.port};transport=${gateway.transport}`;
}

/**
 * The status a fork reports when every branch failed (RFC 3261 16.7, simplified): a 6xx is final for all,
 * then a busy device says more than one that could not be reached, then any other 4xx, then 5xx, then 0
 * (no response at all).
 */
export function forkFailureStatus(statuses: readonly number[]): number {
  const rank = (status: number): number => {
    if (status >= 600) return 0;
    if (status === 486) return 1;
    if (status >= 400 && status < 500 && status !== 408 && status !== 487) return 2;
    if (status === 487) return 3;
    if (status === 408 || (status >= 500 && status < 600)) return 4;
    return 5;
  };
  return [...statuses].sort((a, b) => rank(a) - rank(b) || a - b)[0] ?? 0;
}
