// dnsmasq (Debian dnsmasq-base) as a local DNS server for one test file: an unprivileged foreground process
// on a free 127.0.0.1 port that serves only the records given on its command line. It reads no config file,
// no /etc/hosts and no resolv.conf, so it never forwards a question anywhere: names under the given zones
// it does not know get NXDOMAIN/NODATA, every other name REFUSED.
import { requireBinary } from './binaries.js';
import { freePort, isBound } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { waitFor } from './wait-for.js';

export interface NaptrEntry {
  name: string;
  order: number;
  preference: number;
  /** @default 's' (the replacement is an SRV name) */
  flags?: string;
  /** `SIP+D2U`, `SIP+D2T`, `SIPS+D2T`... */
  service: string;
  replacement: string;
}

export interface SrvEntry {
  /** `_sip._udp.example.test` */
  name: string;
  target: string;
  port: number;
  priority: number;
  weight: number;
}

export interface HostEntry {
  name: string;
  /** An IPv4 or IPv6 address. */
  address: string;
  /** @default the server's `ttlS` */
  ttlS?: number;
}

export interface DnsmasqOptions {
  naptr?: NaptrEntry[];
  srv?: SrvEntry[];
  hosts?: HostEntry[];
  /** TTL of the NAPTR and SRV records (dnsmasq's --local-ttl) and of hosts without their own. @default 60 */
  ttlS?: number;
  /** Domains answered locally only (unknown names NXDOMAIN). @default each record name's last two labels */
  zones?: string[];
}

export interface DnsmasqFixture {
  port: number;
  /** `127.0.0.1:<port>`, as SIP_DNS_SERVERS takes it. */
  server: string;
  /** Questions asked so far, `TYPE name` in order (from dnsmasq's --log-queries lines). */
  queries(): string[];
  process: ManagedProcess;
  stop(): Promise<void>;
}

const zoneOf = (name: string) => name.split('.').slice(-2).join('.');

/** The dnsmasq arguments for the records (exported for the fixture's unit test). */
export function dnsmasqRecordArgs(options: DnsmasqOptions): string[] {
  const ttl = options.ttlS ?? 60;
  const names = [
    ...(options.naptr ?? []).map((r) => r.name),
    ...(options.srv ?? []).map((r) => r.name),
    ...(options.hosts ?? []).map((r) => r.name),
  ];
  const zones = options.zones ?? [...new Set(names.map(zoneOf))];
  return [
    `--local-ttl=${ttl}`,
    ...zones.map((zone) => `--local=/${zone}/`),
    ...(options.naptr ?? []).map(
      (r) =>
        `--naptr-record=${r.name},${r.order},${r.preference},${r.flags ?? 's'},${r.service},,${r.replacement}`,
    ),
    ...(options.srv ?? []).map((r) => `--srv-host=${r.name},${r.target},${r.port},${r.priority},${r.weight}`),
    ...(options.hosts ?? []).map((r) => `--host-record=${r.name},${r.address},${r.ttlS ?? ttl}`),
  ];
}

export async function startDnsmasq(options: DnsmasqOptions): Promise<DnsmasqFixture> {
  const binary = requireBinary('dnsmasq', 'dnsmasq-base');
  let lastOutput = '';
  // A free port can be taken between the probe and dnsmasq's bind; dnsmasq then exits and we draw again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = startProcess(binary, [
      '--keep-in-foreground',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      '--conf-file=/dev/null',
      '--pid-file=',
      '--log-facility=-',
      '--log-queries',
      '--bind-interfaces',
      '--listen-address=127.0.0.1',
      `--port=${port}`,
      ...dnsmasqRecordArgs(options),
    ]);
    const ready = await waitFor(
      'dnsmasq listening',
      () => (proc.child.exitCode !== null ? 'exited' : isBound('udp', port) ? 'up' : undefined),
      10_000,
    ).catch(() => 'timeout');
    if (ready === 'up') {
      return {
        port,
        server: `127.0.0.1:${port}`,
        queries: () =>
          [...proc.output().matchAll(/query\[(\w+)\] (\S+) from/g)].map((m) => `${m[1]} ${m[2]}`),
        process: proc,
        stop: () => proc.stop(),
      };
    }
    lastOutput = proc.output();
    await proc.stop();
  }
  throw new Error(`dnsmasq did not start: ${lastOutput}`);
}
