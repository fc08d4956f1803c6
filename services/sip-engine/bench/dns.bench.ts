// What RFC 3263 resolution costs the engine per new request to a host name, against dnsmasq on loopback
// (NAPTR → SRV with two targets → two A records: four questions):
//
//   uncached   a fresh resolver each time: the four questions over UDP (dns-packet)
//   cached     one resolver whose answers are still within their TTL: no question at all
//   c-ares     the same four questions through Node's own Resolver (c-ares; it hides NAPTR/SRV TTLs,
//              which is why the engine does not use it): the reference for the uncached figure
//
// Figures are microseconds per whole resolution (all targets), medians of RUNS timed batches; they move
// with whatever else runs on this 2-core machine. Environment: DNS_BENCH_UNCACHED (default 300 per
// batch), DNS_BENCH_CACHED (default 20,000 per batch), RUNS (default 5).
import { Resolver } from 'node:dns/promises';
import { performance } from 'node:perf_hooks';
import { createLogger } from '@callctl/logging';
import { startDnsmasq } from '@callctl/testing';
import { systemClock } from '../src/core/runtime.js';
import { createSipResolver, type TargetResolver } from '../src/dns/sip-resolver.js';
import type { HopToResolve } from '../src/dns/rfc3263.js';

const UNCACHED = Number(process.env.DNS_BENCH_UNCACHED ?? 300);
const CACHED = Number(process.env.DNS_BENCH_CACHED ?? 20_000);
const RUNS = Number(process.env.RUNS ?? 5);
const log = createLogger({ service: 'dns-bench', level: 'silent' });
const HOP: HopToResolve = { host: 'carrier.test', port: undefined, transport: undefined, secure: false };

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Median over RUNS batches of `count` calls of `once`, in µs per call. */
async function perCall(count: number, once: () => Promise<unknown>): Promise<number> {
  const runs: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    for (let i = 0; i < count; i++) await once();
    runs.push(((performance.now() - start) * 1000) / count);
  }
  return median(runs);
}

async function main(): Promise<void> {
  const dns = await startDnsmasq({
    naptr: [
      {
        name: 'carrier.test',
        order: 10,
        preference: 10,
        service: 'SIP+D2U',
        replacement: '_sip._udp.carrier.test',
      },
    ],
    srv: [
      { name: '_sip._udp.carrier.test', target: 'gw1.carrier.test', port: 5060, priority: 10, weight: 50 },
      { name: '_sip._udp.carrier.test', target: 'gw2.carrier.test', port: 5060, priority: 20, weight: 50 },
    ],
    hosts: [
      { name: 'gw1.carrier.test', address: '192.0.2.1' },
      { name: 'gw2.carrier.test', address: '192.0.2.2' },
    ],
    ttlS: 3600,
  });
  try {
    const resolver = (): TargetResolver =>
      createSipResolver({
        servers: [{ address: '127.0.0.1', port: dns.port }],
        timeoutMs: 2000,
        supported: ['udp', 'tcp'],
        ipv6: false,
        clock: systemClock,
        log,
      });
    const check = await resolver().resolve(HOP);
    if (check.length !== 2) throw new Error(`expected 2 targets, got ${JSON.stringify(check)}`);

    const uncached = await perCall(UNCACHED, () => resolver().resolve(HOP));
    const warm = resolver();
    await warm.resolve(HOP);
    const cached = await perCall(CACHED, () => warm.resolve(HOP));
    const cares = new Resolver({ timeout: 2000, tries: 1 });
    cares.setServers([`127.0.0.1:${dns.port}`]);
    const reference = await perCall(UNCACHED, async () => {
      const [naptr] = await cares.resolveNaptr('carrier.test');
      const srv = await cares.resolveSrv(naptr!.replacement);
      for (const record of srv) await cares.resolve4(record.name);
    });

    const row = (what: string, us: number) =>
      console.log(`${what.padEnd(44)} ${us.toFixed(1).padStart(10)} µs`);
    console.log(`RFC 3263 resolution of carrier.test (NAPTR, SRV, 2 × A), median of ${RUNS} batches`);
    row(`uncached, engine (dns-packet/UDP), ${UNCACHED}/batch`, uncached);
    row(`uncached, Node c-ares Resolver, ${UNCACHED}/batch`, reference);
    row(`cached (within TTL), engine, ${CACHED}/batch`, cached);
    console.log(`ratio uncached engine / c-ares: ${(uncached / reference).toFixed(2)}`);
    console.log(`ratio cached / uncached: ${(cached / uncached).toFixed(4)}`);
  } finally {
    await dns.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
