// The trust domain (RFC 3325 §2.3): the SIP peers the platform trusts to assert identities, and trusts with
// the identities it asserts. P-Asserted-Identity is believed only from them and sent only to them.
// Configured as SIP_TRUST_DOMAIN_CIDRS: IPs or CIDRs, each optionally narrowed to one port (several peers
// behind one address, an SBC's trunk-facing port).
import { cidrContains, parseCidr, parseUri, type Cidr } from '@callctl/sip';

export interface TrustedPeer {
  readonly cidr: Cidr;
  /** Only this port of the addresses; absent: any port. */
  readonly port?: number;
}

export type TrustDomain = readonly TrustedPeer[];

/** `10.0.0.0/8, 192.0.2.7:5060, [2001:db8::1]:5080, 2001:db8::/32` (throws naming the bad entry). */
export function parseTrustDomain(text: string): TrustDomain {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map(parseTrustedPeer);
}

function parseTrustedPeer(entry: string): TrustedPeer {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return withPort(entry, parseCidr(bracketed[1]!), bracketed[2]);
  // One colon: IPv4 (or a v4 CIDR) with a port. More: an IPv6 address or prefix, whose port needs brackets.
  const colons = entry.split(':').length - 1;
  if (colons === 1) {
    const [address, port] = entry.split(':');
    return withPort(entry, parseCidr(address!), port);
  }
  return { cidr: parseCidr(entry) };
}

function withPort(entry: string, cidr: Cidr, portText: string | undefined): TrustedPeer {
  if (portText === undefined) return { cidr };
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port < 1 || port > 65535)
    throw new Error(`trust domain entry ${JSON.stringify(entry)}: the port is not 1-65535`);
  return { cidr, port };
}

/** True when the peer at `address` (and `port`, when known) belongs to the trust domain. */
export function isTrusted(domain: TrustDomain, address: string, port?: number): boolean {
  return domain.some(
    (peer) => cidrContains(peer.cidr, address) && (peer.port === undefined || peer.port === port),
  );
}

/**
 * The address and port a request to `uri` goes to (the proxy's when one is given): its host when that is an
 * IP address, its port or the transport's default. A host name is never trusted (undefined): what it
 * resolves to is not known here, and a trusted peer is named by address.
 */
export function nextHopOf(uri: string): { address: string; port: number } | undefined {
  let parsed;
  try {
    parsed = parseUri(uri);
  } catch {
    return undefined;
  }
  const host = parsed.host.startsWith('[') ? parsed.host.slice(1, -1) : parsed.host;
  if (!/^[\d.]+$/.test(host) && !host.includes(':')) return undefined;
  const transport = parsed.params.get('transport')?.toLowerCase();
  const secure = parsed.scheme === 'sips' || transport === 'tls';
  return { address: host, port: parsed.port ?? (secure ? 5061 : 5060) };
}
