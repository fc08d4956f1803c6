// Where a target goes (pure): a SIP URI outside the platform's domains is called as given; a number is
// routed by the longest matching pattern (routes, and trunks' own number patterns) to a trunk, whose
// gateways are tried by priority, weighted within a priority; a user of a platform domain is the
// registrar's. No I/O: callers pass the snapshot, the platform's domains and a random source.
// CONTRACT: signatures fixed; implementation by the libs helper.
import type { GatewayView, ProvisioningSnapshot, TrunkView } from './model.js';

export type DialTarget =
  | { kind: 'sip'; uri: string }
  /** E.164 with its +, or national digits as dialled (tel:, +E164, digits, *#). */
  | { kind: 'number'; number: string }
  | { kind: 'user'; aor: string; username: string; domain: string };

/**
 * Classifies what CreateCall/Dial or a device dialled: `tel:+44...`, `+44...`, digits, `sip:+44...@<platform
 * domain>` and `sip:0044...@<platform domain>;user=phone` are numbers; `sip:alice@<platform domain>` a user;
 * any other sip:/sips: URI is called as given. Throws (errors lib INVALID_ARGUMENT) for anything else.
 */
export function classifyTarget(target: string, platformDomains: ReadonlySet<string>): DialTarget {
  throw new Error(`not implemented: classifyTarget(${target}, ${platformDomains.size})`);
}

/** A pattern: `+4420*` (prefix), `+442071234567` (exact), `*` (any). Throws INVALID_ARGUMENT if malformed. */
export function validateNumberPattern(pattern: string): void {
  throw new Error(`not implemented: validateNumberPattern(${pattern})`);
}

export interface GatewayAttempt {
  gateway: GatewayView;
  /** sip:<number>@host:port;transport=... after the trunk's caller-id rule (strip +, prefix). */
  requestUri: string;
  /** From URI after the caller-id rule (from_number / from_domain), given the caller's From. */
  fromUri: string;
}

export type RouteDecision =
  | { kind: 'direct'; uri: string }
  | { kind: 'trunk'; trunk: TrunkView; route: string; attempts: GatewayAttempt[] }
  | { kind: 'user'; aor: string }
  | { kind: 'none'; reason: string };

/**
 * Routes a classified target. `route` names the route or `trunk:<name>` for a trunk's own pattern. The
 * longest matching pattern wins, ties by priority then name. Gateways: ascending priority; within one
 * priority, ordered by weighted random choice without replacement (`random` in [0, 1)).
 */
export function routeTarget(
  snapshot: ProvisioningSnapshot,
  target: DialTarget,
  fromUri: string,
  random: () => number,
): RouteDecision {
  throw new Error(
    `not implemented: routeTarget(${target.kind}, ${fromUri}, ${random()}, ${snapshot.trunks.size})`,
  );
}

/** The trunk an INVITE from this source address is (longest prefix of all trunks' inbound sources). */
export function trunkOfSource(snapshot: ProvisioningSnapshot, address: string): TrunkView | undefined {
  throw new Error(`not implemented: trunkOfSource(${address}, ${snapshot.trunks.size})`);
}

/** The trunk whose registration's contact user is this Request-URI user (INVITEs through a registration). */
export function trunkOfContactUser(snapshot: ProvisioningSnapshot, user: string): TrunkView | undefined {
  throw new Error(`not implemented: trunkOfContactUser(${user}, ${snapshot.trunks.size})`);
}
