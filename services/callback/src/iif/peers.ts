// CALLBACK_IIF_PEERS: the application servers allowed to talk to the IIF (seed 004 "Peer server"), and the
// one spelling of a datagram's source (`host:port`, `[v6]:port`) used in origins, logs and RESPONSE targets.
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from '@callctl/config';

export const PEERS_VARIABLE = 'CALLBACK_IIF_PEERS';

export interface IifPeer {
  /** Part of each request's key (`iif:<name>:<id>`): the same AS keeps its name across address changes. */
  name: string;
  /** Canonical address(es) of the host: `localhost` is both loopbacks. */
  hosts: string[];
  /** undefined: any source port of that host. */
  port?: number;
}

export interface SourceAddress {
  host: string;
  port: number;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** `[name=]host[:port]`, whitespace or comma separated; an IPv6 host with a port is written `[::1]:5080`. */
export function parsePeers(text: string): IifPeer[] {
  const entries = text.split(/[\s,]+/).filter((e) => e !== '');
  const issues: { variable: string; problem: string }[] = [];
  const peers: IifPeer[] = [];
  for (const entry of entries) {
    const peer = parseEntry(entry);
    if (typeof peer === 'string') issues.push({ variable: PEERS_VARIABLE, problem: `"${entry}": ${peer}` });
    else peers.push(peer);
  }
  if (issues.length > 0) throw new ConfigError('callback', issues);
  return peers;
}

function parseEntry(entry: string): IifPeer | string {
  const equals = entry.indexOf('=');
  const explicitName = equals < 0 ? undefined : entry.slice(0, equals);
  const address = equals < 0 ? entry : entry.slice(equals + 1);
  if (explicitName !== undefined && !NAME.test(explicitName))
    return 'the name must be 1-64 of A-Z a-z 0-9 _ . -';
  const split = splitHostPort(address);
  if (typeof split === 'string') return split;
  const hosts = hostsOf(split.host);
  if (!hosts) return 'the host must be an IP address or localhost';
  return {
    // Without a name the address as written names the peer: stable as long as the entry is.
    name: explicitName ?? address,
    hosts,
    ...(split.port !== undefined ? { port: split.port } : {}),
  };
}

function splitHostPort(address: string): { host: string; port?: number } | string {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(address);
  if (bracketed) return withPort(bracketed[1] ?? '', bracketed[2]);
  // More than one colon and no brackets: a bare IPv6 address, no port.
  if (address.indexOf(':') !== address.lastIndexOf(':')) return { host: address };
  const colon = address.indexOf(':');
  return colon < 0 ? { host: address } : withPort(address.slice(0, colon), address.slice(colon + 1));
}

function withPort(host: string, port: string | undefined): { host: string; port?: number } | string {
  if (port === undefined) return { host };
  const n = /^[0-9]{1,5}$/.test(port) ? Number(port) : 0;
  if (n < 1 || n > 65535) return 'the port must be 1-65535';
  return { host, port: n };
}

function hostsOf(host: string): string[] | undefined {
  if (host.toLowerCase() === 'localhost') return ['127.0.0.1', '::1'];
  if (isIPv4(host) || isIPv6(host)) return [canonicalHost(host)];
  return undefined;
}

/**
 * One spelling per address: IPv6 compressed and lower case, an IPv4-mapped IPv6 source (a dual-stack
 * socket) as the IPv4 address it is.
 */
export function canonicalHost(host: string): string {
  if (!isIPv6(host)) return host;
  // The WHATWG URL parser canonicalises IPv6 (RFC 5952): `0:0::1` and `::1` compare equal, and
  // `::ffff:127.0.0.1` becomes `::ffff:7f00:1`.
  let canonical: string;
  try {
    canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return host.toLowerCase(); // a zone id (`fe80::1%eth0`) is not URL syntax
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!mapped) return canonical;
  const high = parseInt(mapped[1] ?? '0', 16);
  const low = parseInt(mapped[2] ?? '0', 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** The peer a datagram from `source` belongs to, or undefined (dropped unread). First match wins. */
export function matchPeer(peers: readonly IifPeer[], source: SourceAddress): IifPeer | undefined {
  const host = canonicalHost(source.host);
  return peers.find((p) => p.hosts.includes(host) && (p.port === undefined || p.port === source.port));
}

export function formatAddress(address: SourceAddress): string {
  const host = canonicalHost(address.host);
  return isIPv6(host) ? `[${host}]:${address.port}` : `${host}:${address.port}`;
}

/** The inverse of formatAddress; undefined for anything else. */
export function parseAddress(text: string): SourceAddress | undefined {
  const split = splitHostPort(text);
  if (typeof split === 'string' || split.port === undefined) return undefined;
  if (!isIPv4(split.host) && !isIPv6(split.host)) return undefined;
  return { host: canonicalHost(split.host), port: split.port };
}
