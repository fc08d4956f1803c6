// Where an outbound leg goes, as sip-edge acts on it (pure): the dial plan's decision (libs/provisioning
// routeTarget) turned into a SIP URI to call, a trunk's gateway attempts, a platform user's contacts, or an
// ending at once when nothing can be called.
import { callEvents } from '@callctl/proto';
import type { GatewayAttempt, RouteDecision, TrunkView } from '@callctl/provisioning';
import type { EndCause } from './end-cause.js';

const { EndCause: Cause } = callEvents;

/** A leg that ends before any INVITE: its LegEnded. */
export interface Unroutable {
  kind: 'unroutable';
  cause: EndCause;
  sipStatus: number;
  reason: string;
}

export type OutboundTarget =
  | { kind: 'direct'; uri: string }
  | { kind: 'trunk'; trunk: TrunkView; route: string; attempts: GatewayAttempt[] }
  /** `user`: user@domain, as LegInitiated.user names it. */
  | { kind: 'user'; aor: string; user: string }
  | Unroutable;

/** The dial plan found nothing (404, as a proxy would answer). */
export function noRoute(reason: string): Unroutable {
  return { kind: 'unroutable', cause: Cause.END_CAUSE_NO_ROUTE, sipStatus: 404, reason };
}

/** The user exists but has no contact registered (480 Temporarily Unavailable, RFC 3261 21.4.18). */
export function notRegistered(user: string): Unroutable {
  return {
    kind: 'unroutable',
    cause: Cause.END_CAUSE_NOT_REGISTERED,
    sipStatus: 480,
    reason: `${user} has no registered contact`,
  };
}

export function outboundTargetOf(decision: RouteDecision): OutboundTarget {
  switch (decision.kind) {
    case 'direct':
      return { kind: 'direct', uri: decision.uri };
    case 'trunk':
      if (decision.attempts.length === 0) return noRoute(`trunk ${decision.trunk.name} has no gateway`);
      return { kind: 'trunk', trunk: decision.trunk, route: decision.route, attempts: decision.attempts };
    case 'user':
      return { kind: 'user', aor: decision.aor, user: decision.aor.replace(/^sips?:/i, '') };
    case 'none':
      return noRoute(decision.reason);
  }
}
