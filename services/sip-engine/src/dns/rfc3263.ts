// RFC 3263 §4: from a SIP URI's host, port and transport to the ordered list of targets to try. Pure
// logic over an injected DNS lookup, so every branch is unit-tested without a network.
import { isIP } from 'node:net';
import type { TransportProtocol } from '../transport/transport.js';
import type { DnsLookup, NaptrRecord } from './dns-records.js';
import { orderSrv } from './srv-order.js';

/** What a URI says about where it goes, before any DNS (see addressing.ts nextHopOfUri). */
export interface HopToResolve {
  host: string;
  /** The URI's port; undefined: DNS (SRV) or the default port decides. */
  port: number | undefined;
  /** The URI's `;transport=`; undefined: DNS (NAPTR/SRV) decides. */
  transport: TransportProtocol | undefined;
  /** A sips: URI: only TLS-based transports will do. */
  secure: boolean;
}

export interface ResolvedTarget {
  address: string;
  port: number;
  protocol: TransportProtocol;
  /** How it was found, for the logs: `naptr`, `srv`, `a` (host records only) or `ip` (a literal). */
  via: 'naptr' | 'srv' | 'a' | 'ip';
}

export interface ResolveOptions {
  lookup: DnsLookup;
  /** Transports the engine can send on (it has a listener of that protocol). */
  supported: ReadonlySet<TransportProtocol>;
  /** Also look up AAAA records (the engine has an IPv6 listener). */
  ipv6: boolean;
  /** For the SRV weighted draw. @default Math.random */
  random?: () => number;
  /** Last resort for a host DNS gives no address for (the system resolver: /etc/hosts, search domains). */
  fallbackAddress?: (host: string) => Promise<string | undefined>;
}

/** Bound on the targets one request may fail over across (each may cost a timeout). */
export const MAX_TARGETS = 16;

/** NAPTR service field (RFC 3263 §4.1, RFC 7118 §8 for WebSocket) → transport. */
const NAPTR_SERVICES: Record<string, TransportProtocol> = {
  'SIP+D2U': 'udp',
  'SIP+D2T': 'tcp',
  'SIPS+D2T': 'tls',
  'SIP+D2W': 'ws',
  'SIPS+D2W': 'wss',
};

/** SRV service names RFC 3263 §4.1 queries when there is no NAPTR, in our order of preference. */
const SRV_PREFIXES: Array<[TransportProtocol, string]> = [
  ['udp', '_sip._udp'],
  ['tcp', '_sip._tcp'],
  ['tls', '_sips._tcp'],
];

const isSecure = (protocol: TransportProtocol) => protocol === 'tls' || protocol === 'wss';
const defaultPort = (protocol: TransportProtocol) => (isSecure(protocol) ? 5061 : 5060);

/** The ordered targets for a hop; empty when DNS knows none. */
export async function resolveTargets(hop: HopToResolve, options: ResolveOptions): Promise<ResolvedTarget[]> {
  const fallbackProtocol = hop.transport ?? (hop.secure ? 'tls' : 'udp');
  if (isIP(hop.host) !== 0) {
    const port = hop.port ?? defaultPort(fallbackProtocol);
    return [{ address: hop.host, port, protocol: fallbackProtocol, via: 'ip' }];
  }
  // §4.2: a port in the URI means A/AAAA only; a transport without a port means that transport's SRV.
  if (hop.port !== undefined) return addressTargets(hop.host, hop.port, fallbackProtocol, 'a', options);
  if (hop.transport !== undefined) {
    const prefix = SRV_PREFIXES.find(([protocol]) => protocol === hop.transport)?.[1];
    const viaSrv = prefix ? await srvTargets(`${prefix}.${hop.host}`, hop.transport, 'srv', options) : [];
    if (viaSrv.length > 0) return viaSrv.slice(0, MAX_TARGETS);
    return addressTargets(hop.host, defaultPort(hop.transport), hop.transport, 'a', options);
  }
  // §4.1: neither: NAPTR picks transports and SRV names; without NAPTR, SRV per transport; then A/AAAA.
  const naptr = usableNaptr(await options.lookup(hop.host, 'NAPTR'), hop.secure, options.supported);
  const targets: ResolvedTarget[] = [];
  if (naptr.length > 0) {
    for (const record of naptr) {
      if (targets.length >= MAX_TARGETS) break;
      const protocol = NAPTR_SERVICES[record.services.toUpperCase()]!;
      targets.push(...(await srvTargets(record.replacement, protocol, 'naptr', options)));
    }
  } else {
    for (const [protocol, prefix] of SRV_PREFIXES) {
      if (targets.length >= MAX_TARGETS) break;
      if (!options.supported.has(protocol) || (hop.secure && !isSecure(protocol))) continue;
      targets.push(...(await srvTargets(`${prefix}.${hop.host}`, protocol, 'srv', options)));
    }
  }
  if (targets.length > 0) return targets.slice(0, MAX_TARGETS);
  return addressTargets(hop.host, defaultPort(fallbackProtocol), fallbackProtocol, 'a', options);
}

/** NAPTR records RFC 3263 can follow (flag "s", a SIP service we speak), best first. */
function usableNaptr(
  records: NaptrRecord[],
  secure: boolean,
  supported: ReadonlySet<TransportProtocol>,
): NaptrRecord[] {
  return records
    .filter((r) => {
      const protocol = NAPTR_SERVICES[r.services.toUpperCase()];
      return (
        r.flags.toLowerCase() === 's' &&
        r.replacement !== '' &&
        protocol !== undefined &&
        supported.has(protocol) &&
        (!secure || isSecure(protocol))
      );
    })
    .sort((a, b) => a.order - b.order || a.preference - b.preference);
}

/** SRV records of one service name, ordered, each expanded to its addresses. */
async function srvTargets(
  name: string,
  protocol: TransportProtocol,
  via: ResolvedTarget['via'],
  options: ResolveOptions,
): Promise<ResolvedTarget[]> {
  const targets: ResolvedTarget[] = [];
  for (const srv of orderSrv(await options.lookup(name, 'SRV'), options.random)) {
    if (targets.length >= MAX_TARGETS) break;
    targets.push(...(await addressTargets(srv.target, srv.port, protocol, via, options)));
  }
  return targets;
}

/** A host's addresses (A, then AAAA when asked), each a target on `port`. */
async function addressTargets(
  host: string,
  port: number,
  protocol: TransportProtocol,
  via: ResolvedTarget['via'],
  options: ResolveOptions,
): Promise<ResolvedTarget[]> {
  const [v4, v6] = await Promise.all([
    options.lookup(host, 'A'),
    options.ipv6 ? options.lookup(host, 'AAAA') : Promise.resolve([]),
  ]);
  let addresses = [...v4, ...v6];
  if (addresses.length === 0 && options.fallbackAddress) {
    const fallback = await options.fallbackAddress(host);
    if (fallback !== undefined) addresses = [fallback];
  }
  return addresses.slice(0, MAX_TARGETS).map((address) => ({ address, port, protocol, via }));
}
