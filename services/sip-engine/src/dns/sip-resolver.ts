// The engine's RFC 3263 resolver: the DNS servers from SIP_DNS_SERVERS (else the system's), answers cached
// by TTL, and the transports the engine can send on. With the system's servers, a host DNS gives no
// address for is looked up once more with getaddrinfo, which knows /etc/hosts and resolv.conf search
// domains (Kubernetes service names); with servers of its own the engine asks them only.
import { getServers, lookup } from 'node:dns/promises';
import type { Logger } from '@callctl/logging';
import type { Clock } from '../core/runtime.js';
import type { Peer, TransportProtocol } from '../transport/transport.js';
import { DnsCache } from './dns-cache.js';
import { DnsClient } from './dns-client.js';
import { resolveTargets, type HopToResolve, type ResolvedTarget } from './rfc3263.js';

export interface TargetResolver {
  resolve(hop: HopToResolve): Promise<ResolvedTarget[]>;
}

export interface SipResolverOptions {
  /** `host:port` servers; empty: the system's (/etc/resolv.conf). */
  servers: Peer[];
  timeoutMs: number;
  /** Protocols the engine has listeners for (it sends on those only). */
  supported: Iterable<TransportProtocol>;
  ipv6: boolean;
  clock: Pick<Clock, 'now'>;
  log: Logger;
  random?: () => number;
}

/** `8.8.8.8`, `8.8.8.8:1053`, `[2001:db8::1]:1053` or `2001:db8::1` (Node's getServers forms) → a peer. */
export function parseServer(text: string): Peer {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { address: bracketed[1]!, port: Number(bracketed[2] ?? 53) };
  const colons = text.split(':').length - 1;
  if (colons === 1) {
    const [address, port] = text.split(':');
    return { address: address!, port: Number(port) };
  }
  return { address: text, port: 53 };
}

export function createSipResolver(options: SipResolverOptions): TargetResolver {
  const own = options.servers.length > 0;
  const servers = own ? options.servers : getServers().map(parseServer);
  const log = options.log;
  const client = new DnsClient({ servers, timeoutMs: options.timeoutMs, log });
  const cache = new DnsCache(
    (name, type) => client.query(name, type),
    options.clock,
    (err, name, type) => log.debug({ err, name, type }, 'dns question unanswered'),
  );
  const supported = new Set(options.supported);
  const fallbackAddress = own
    ? undefined
    : (host: string) =>
        lookup(host).then(
          (found) => found.address,
          () => undefined,
        );
  log.info({ servers: servers.map((s) => `${s.address}:${s.port}`), own }, 'rfc 3263 resolver ready');
  return {
    resolve: (hop) =>
      resolveTargets(hop, {
        lookup: cache.lookup,
        supported,
        ipv6: options.ipv6,
        random: options.random,
        fallbackAddress,
      }),
  };
}
