// Registration to providers (RFC 3261 10.2), the pure part: when to refresh, how long to back off, what a
// registrar's final answer means. The registrar grants an expiry per contact (its `expires` parameter in the
// 200, else the Expires header); we refresh at about half of it, so that a refresh that fails still has
// half the time left for retries before the provider forgets us.
import { parseContact, parseUri, splitTopLevel } from '@callctl/sip';

/** A refresh is never sooner than this, whatever tiny expiry a registrar grants. */
export const MIN_REFRESH_MS = 1000;

export interface RetryPolicy {
  /** First retry after a failure (TRUNK_REGISTER_RETRY_MIN_MS). */
  minMs: number;
  /** Doubling stops here (TRUNK_REGISTER_RETRY_MAX_MS). */
  maxMs: number;
}

/** When to send the next REGISTER after one that was granted `grantedS` seconds. */
export function refreshDelayMs(grantedS: number): number {
  return Math.max(MIN_REFRESH_MS, Math.floor((grantedS * 1000) / 2));
}

/** The wait before the next attempt after `failures` (≥ 1) failed attempts in a row: doubling, capped. */
export function retryDelayMs(failures: number, policy: RetryPolicy): number {
  const doublings = Math.max(0, Math.min(failures - 1, 40));
  return Math.min(policy.maxMs, policy.minMs * 2 ** doublings);
}

/** What a final response to our REGISTER means. */
export type RegisterOutcome =
  | { kind: 'registered'; expiresS: number }
  /** 401/407: answer the challenge (the caller decides whether it may). */
  | { kind: 'challenged' }
  /** 423: ask again with at least this expiry. */
  | { kind: 'interval-too-brief'; minExpiresS: number }
  | { kind: 'failed' };

export interface RegisterResponse {
  status: number;
  /** Header values as the SIP stack gives them (several headers of a name joined with commas). */
  header(name: string): string | undefined;
}

/**
 * Judges a final response to a REGISTER that asked for `requestedS` for `ourContact`. A 2xx that lists our
 * contact with `expires=0`, or that the registrar granted nothing, is a failure: we are not registered.
 */
export function registerOutcome(
  response: RegisterResponse,
  ourContact: string,
  requestedS: number,
): RegisterOutcome {
  const { status } = response;
  if (status >= 200 && status < 300) {
    const expiresS = grantedExpiresS(response, ourContact, requestedS);
    return expiresS > 0 ? { kind: 'registered', expiresS } : { kind: 'failed' };
  }
  if (status === 401 || status === 407) return { kind: 'challenged' };
  if (status === 423) {
    const minExpiresS = Number(response.header('Min-Expires'));
    if (Number.isInteger(minExpiresS) && minExpiresS > requestedS)
      return { kind: 'interval-too-brief', minExpiresS };
  }
  return { kind: 'failed' };
}

/**
 * The expiry the registrar granted our contact: its `expires` parameter among the 200's Contacts (matched by
 * user, host and port), else the Expires header, else what we asked for (RFC 3261 10.2.4).
 */
export function grantedExpiresS(response: RegisterResponse, ourContact: string, requestedS: number): number {
  const ours = contactKey(ourContact);
  for (const value of splitTopLevel(response.header('Contact') ?? '', false)) {
    if (!value) continue;
    try {
      const contact = parseContact(value);
      if (contact.star || contactKey(contact.uri) !== ours) continue;
      if (contact.expires !== undefined) return contact.expires;
    } catch {
      // a Contact we cannot read is not ours
    }
  }
  const header = Number(response.header('Expires'));
  return Number.isInteger(header) && header >= 0 ? header : requestedS;
}

function contactKey(uri: string): string {
  try {
    const parsed = parseUri(uri.replace(/^<|>$/g, ''));
    return `${parsed.user ?? ''}@${parsed.host.toLowerCase()}:${parsed.port ?? ''}`;
  } catch {
    return uri;
  }
}

/**
 * The challenges of a 401/407, one per WWW-Authenticate/Proxy-Authenticate header: the stack joins repeated
 * headers with commas, and a challenge has commas of its own, so a new one starts at each `Digest `.
 */
export function challengesIn(joined: string | undefined): string[] {
  const challenges: string[] = [];
  for (const part of splitTopLevel(joined ?? '', false)) {
    if (/^[A-Za-z][\w-]*\s+\S/.test(part) && !/^[\w-]+\s*=/.test(part)) challenges.push(part);
    else if (challenges.length > 0) challenges[challenges.length - 1] += `, ${part}`;
  }
  return challenges;
}

/** `sip:<user>@host:port;transport=…` from the engine's own URI (`sip:host:port;transport=…`). */
export function contactWithUser(engineUri: string, user: string): string {
  const colon = engineUri.indexOf(':');
  return `${engineUri.slice(0, colon + 1)}${user}@${engineUri.slice(colon + 1)}`;
}

/** The transport a REGISTER to this registrar URI goes over (its `transport` parameter, UDP otherwise). */
export function registrarTransport(registrarUri: string): 'udp' | 'tcp' | 'tls' {
  const transport = /;transport=(\w+)/i.exec(registrarUri)?.[1]?.toLowerCase();
  if (registrarUri.toLowerCase().startsWith('sips:') || transport === 'tls') return 'tls';
  return transport === 'tcp' ? 'tcp' : 'udp';
}
