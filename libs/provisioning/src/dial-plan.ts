// Where a target goes (pure): a SIP URI outside the platform's domains is called as given; a number is
// routed by the longest matching pattern (routes, and trunks' own number patterns) to a trunk, whose
// gateways are tried by priority, weighted within a priority; a user of a platform domain is the
// registrar's. No I/O: callers pass the snapshot, the platform's domains and a random source.
import { ValidationError } from '@callctl/errors';
import { longestMatch, parseCidr, parseUri, unescapeUriPart, type Cidr, type SipUri } from '@callctl/sip';
import type { GatewayView, ProvisioningSnapshot, TrunkView } from './model.js';

export type DialTarget =
  | { kind: 'sip'; uri: string }
  /** E.164 with its +, or national digits as dialled (tel:, +E164, digits, *#). */
  | { kind: 'number'; number: string }
  | { kind: 'user'; aor: string; username: string; domain: string };

/** `+` then digits, or digits with `*` and `#` (feature codes): what a number may be once separators are gone. */
const NUMBER = /^(\+[0-9]{1,20}|[0-9*#]{1,32})$/;
/** RFC 3966 visual separators, dropped from tel: numbers and user=phone users. */
const VISUAL_SEPARATORS = /[-.() ]/g;
/** What people type between digits; not `.`, so an IP address is never taken for a number. */
const TYPED_SEPARATORS = /[-() ]/g;

/**
 * Classifies what CreateCall/Dial or a device dialled: `tel:+44...`, `+44...`, digits, `sip:+44...@<platform
 * domain>` and `sip:0044...@<platform domain>;user=phone` are numbers; `sip:alice@<platform domain>` a user;
 * any other sip:/sips: URI is called as given. Throws (errors lib INVALID_ARGUMENT) for anything else.
 *
 * `sip:1001@<platform domain>` without user=phone is a user: phones are often numbered. routeTarget routes
 * it as a number when no such user is provisioned, so a phone dialling digits still reaches a trunk.
 */
export function classifyTarget(target: string, platformDomains: ReadonlySet<string>): DialTarget {
  const text = target.trim();
  const bare = text.replace(TYPED_SEPARATORS, '');
  if (NUMBER.test(bare)) return { kind: 'number', number: bare };
  let uri: SipUri;
  try {
    uri = parseUri(text);
  } catch (error) {
    throw invalidTarget(target, 'not a number, tel: or sip: URI', error);
  }
  if (uri.scheme === 'tel') {
    const number = numberOf(uri.user ?? '');
    if (number === undefined) throw invalidTarget(target, 'the tel: URI holds no dialable number');
    return { kind: 'number', number };
  }
  const domain = hostName(uri.host);
  if (!platformDomains.has(domain)) return { kind: 'sip', uri: text };
  if (uri.user === undefined) throw invalidTarget(target, `no user at the platform domain ${domain}`);
  const username = unescapeUriPart(uri.user);
  const number = numberOf(username);
  if (number !== undefined && (number.startsWith('+') || uri.params.get('user') === 'phone')) {
    return { kind: 'number', number };
  }
  return { kind: 'user', aor: `sip:${username}@${domain}`, username, domain };
}

/** A pattern: `+4420*` (prefix), `+442071234567` (exact), `*` (any). Throws INVALID_ARGUMENT if malformed. */
export function validateNumberPattern(pattern: string): void {
  if (!/^\+?[0-9]*\*$|^\+?[0-9]+$/.test(pattern)) {
    throw new ValidationError(
      `invalid number pattern "${pattern}": expected digits with an optional leading + and an optional trailing * (or * alone)`,
      { pattern },
    );
  }
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
 *
 * A trunk's own patterns rank after routes of the same length (routes are the operator's explicit
 * choice); a candidate whose trunk is missing or has no gateway is passed over for the next one.
 */
export function routeTarget(
  snapshot: ProvisioningSnapshot,
  target: DialTarget,
  fromUri: string,
  random: () => number,
): RouteDecision {
  switch (target.kind) {
    case 'sip':
      return { kind: 'direct', uri: target.uri };
    case 'user': {
      if (snapshot.users.has(`${target.username}@${target.domain}`)) return { kind: 'user', aor: target.aor };
      const number = numberOf(target.username);
      if (number !== undefined) return routeNumber(snapshot, number, fromUri, random);
      return { kind: 'none', reason: `no user ${target.username} in ${target.domain}` };
    }
    case 'number':
      return routeNumber(snapshot, target.number, fromUri, random);
  }
}

interface Candidate {
  route: string;
  trunk: string;
  /** Digits the pattern fixes, with an exact pattern above a prefix of the same digits. */
  specificity: number;
  priority: number;
}

function routeNumber(
  snapshot: ProvisioningSnapshot,
  number: string,
  fromUri: string,
  random: () => number,
): RouteDecision {
  const candidates: Candidate[] = [];
  for (const route of snapshot.routes.values()) {
    const specificity = patternSpecificity(route.pattern, number);
    if (specificity !== undefined) {
      candidates.push({ route: route.name, trunk: route.trunk, specificity, priority: route.priority });
    }
  }
  for (const trunk of snapshot.trunks.values()) {
    for (const pattern of trunk.numberPatterns) {
      const specificity = patternSpecificity(pattern, number);
      if (specificity !== undefined) {
        candidates.push({ route: `trunk:${trunk.name}`, trunk: trunk.name, specificity, priority: Infinity });
      }
    }
  }
  candidates.sort(
    (a, b) =>
      b.specificity - a.specificity ||
      a.priority - b.priority ||
      (a.route < b.route ? -1 : a.route > b.route ? 1 : 0),
  );
  for (const candidate of candidates) {
    const trunk = snapshot.trunks.get(candidate.trunk);
    if (trunk === undefined || trunk.gateways.length === 0) continue;
    const attempts = orderGateways(trunk.gateways, random).map((gateway) =>
      gatewayAttempt(trunk, gateway, number, fromUri),
    );
    return { kind: 'trunk', trunk, route: candidate.route, attempts };
  }
  return {
    kind: 'none',
    reason:
      candidates.length === 0
        ? `no route matches ${number}`
        : `the routes matching ${number} name no trunk with a gateway`,
  };
}

/** How specific a pattern is for this number, or undefined when it does not match it. */
export function patternSpecificity(pattern: string, number: string): number | undefined {
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return number.startsWith(prefix) ? prefix.length * 2 : undefined;
  }
  return pattern === number ? pattern.length * 2 + 1 : undefined;
}

/** Ascending priority; within a priority, weighted random order without replacement (RFC 2782 style). */
export function orderGateways(gateways: readonly GatewayView[], random: () => number): GatewayView[] {
  const byPriority = new Map<number, GatewayView[]>();
  for (const gateway of gateways) {
    const group = byPriority.get(gateway.priority) ?? [];
    group.push(gateway);
    byPriority.set(gateway.priority, group);
  }
  const ordered: GatewayView[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const pool = [...byPriority.get(priority)!];
    while (pool.length > 0) {
      const weights = pool.map((g) => Math.max(1, g.weight));
      let pick = random() * weights.reduce((sum, w) => sum + w, 0);
      let index = 0;
      while (index < pool.length - 1 && pick >= weights[index]!) pick -= weights[index++]!;
      ordered.push(...pool.splice(index, 1));
    }
  }
  return ordered;
}

function gatewayAttempt(
  trunk: TrunkView,
  gateway: GatewayView,
  number: string,
  fromUri: string,
): GatewayAttempt {
  const rule = trunk.callerId;
  const dialled = rule.prefix + (rule.stripPlus ? number.replace(/^\+/, '') : number);
  const host =
    gateway.host.includes(':') && !gateway.host.startsWith('[') ? `[${gateway.host}]` : gateway.host;
  const requestUri = `sip:${escapeUser(dialled)}@${host}:${gateway.port};transport=${gateway.transport}`;
  let callerUser = rule.fromNumber !== '' ? rule.fromNumber : callerUserOf(fromUri);
  if (rule.stripPlus) callerUser = callerUser.replace(/^\+/, '');
  const fromHost = rule.fromDomain !== '' ? rule.fromDomain : host;
  return { gateway, requestUri, fromUri: `sip:${escapeUser(callerUser)}@${fromHost}` };
}

/** The caller's From user, unescaped; `anonymous` when the From has none (RFC 3323 style). */
function callerUserOf(fromUri: string): string {
  try {
    const user = parseUri(fromUri.trim()).user;
    return user === undefined ? 'anonymous' : unescapeUriPart(user);
  } catch {
    return 'anonymous';
  }
}

/** RFC 3261 25.1 user: unreserved, escaped, and user-unreserved; `#` and the rest are %-escaped. */
function escapeUser(user: string): string {
  return user.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/gu, (c) =>
    Array.from(Buffer.from(c, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** The dialable number in a URI user or tel: number (parameters and visual separators dropped), if any. */
function numberOf(user: string): string | undefined {
  const semi = user.indexOf(';');
  const number = unescapeUriPart(semi < 0 ? user : user.slice(0, semi)).replace(VISUAL_SEPARATORS, '');
  return NUMBER.test(number) ? number : undefined;
}

function hostName(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

// The trunks' inbound sources parsed once per snapshot (a snapshot is replaced, never mutated, on change).
const sourceTables = new WeakMap<ReadonlyMap<string, TrunkView>, Array<{ cidr: Cidr; trunk: TrunkView }>>();

function sourceTable(snapshot: ProvisioningSnapshot): Array<{ cidr: Cidr; trunk: TrunkView }> {
  let table = sourceTables.get(snapshot.trunks);
  if (table === undefined) {
    table = [];
    for (const trunk of snapshot.trunks.values()) {
      for (const source of trunk.inboundSources) {
        try {
          table.push({ cidr: parseCidr(source), trunk });
        } catch {
          // The provisioning service validates sources; one that slipped through allows nothing.
        }
      }
    }
    sourceTables.set(snapshot.trunks, table);
  }
  return table;
}

/** The trunk an INVITE from this source address is (longest prefix of all trunks' inbound sources). */
export function trunkOfSource(snapshot: ProvisioningSnapshot, address: string): TrunkView | undefined {
  return longestMatch(sourceTable(snapshot), address)?.trunk;
}

/** The trunk whose registration's contact user is this Request-URI user (INVITEs through a registration). */
export function trunkOfContactUser(snapshot: ProvisioningSnapshot, user: string): TrunkView | undefined {
  for (const trunk of snapshot.trunks.values()) {
    if (trunk.registration !== undefined && trunk.registration.contactUser === user) return trunk;
  }
  return undefined;
}

function invalidTarget(target: string, why: string, cause?: unknown): ValidationError {
  return new ValidationError(`invalid target "${target}": ${why}`, { target }, { cause });
}
