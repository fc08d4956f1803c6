// Where the asserted identity of an outbound INVITE is decided: per request, by the peer it goes to (a
// trunk's gateway, a contact's flow, a URI), since one leg may try several.
import { identityHeaders } from '../domain/asserted-identity.js';
import { isTrusted, nextHopOf } from '../domain/trust-domain.js';
import type { LegContext } from './leg-context.js';
import type { UacOptions } from './sip-stack.js';

/** The options of an INVITE to `uri` with its identity headers for that peer (asserted-identity.ts). */
export function withIdentity(ctx: LegContext, uri: string, options: UacOptions): UacOptions {
  const hop = nextHopOf(options.proxy ?? uri);
  const trusted = hop !== undefined && isTrusted(ctx.settings.trustDomain ?? [], hop.address, hop.port);
  return { ...options, headers: identityHeaders(options.headers ?? {}, trusted) };
}

/** True when an inbound request came from a peer of the trust domain. */
export function fromTrustDomain(ctx: LegContext, source: { address?: string; port?: number }): boolean {
  return (
    source.address !== undefined && isTrusted(ctx.settings.trustDomain ?? [], source.address, source.port)
  );
}
