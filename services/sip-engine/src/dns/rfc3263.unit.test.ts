import type { TransportProtocol } from '../transport/transport.js';
import type { DnsLookup, DnsRecordType, DnsRecordTypes } from './dns-records.js';
import { MAX_TARGETS, resolveTargets, type HopToResolve, type ResolveOptions } from './rfc3263.js';

/** A zone as records by `TYPE name`; the lookup records the questions asked, in order. */
function zone(records: Partial<Record<string, unknown[]>>) {
  const asked: string[] = [];
  const lookup: DnsLookup = <T extends DnsRecordType>(name: string, type: T) => {
    asked.push(`${type} ${name}`);
    return Promise.resolve((records[`${type} ${name}`] ?? []) as Array<DnsRecordTypes[T]>);
  };
  return { lookup, asked };
}

const naptr = (order: number, preference: number, services: string, replacement: string, flags = 's') => ({
  order,
  preference,
  flags,
  services,
  regexp: '',
  replacement,
});
const srv = (target: string, port: number, priority = 10, weight = 0) => ({ target, port, priority, weight });
const hop = (host: string, more: Partial<HopToResolve> = {}): HopToResolve => ({
  host,
  port: undefined,
  transport: undefined,
  secure: false,
  ...more,
});
const options = (
  lookup: DnsLookup,
  supported: TransportProtocol[] = ['udp', 'tcp', 'tls'],
  more: Partial<ResolveOptions> = {},
): ResolveOptions => ({ lookup, supported: new Set(supported), ipv6: false, random: () => 0, ...more });
const brief = (targets: Array<{ protocol: string; address: string; port: number; via: string }>) =>
  targets.map((t) => `${t.protocol}/${t.address}:${t.port} ${t.via}`);

describe('resolveTargets (RFC 3263 §4)', () => {
  it('follows NAPTR (order, then preference) → SRV → A, skipping services it cannot send on', async () => {
    const { lookup, asked } = zone({
      'NAPTR carrier.test': [
        naptr(20, 10, 'SIP+D2U', '_sip._udp.carrier.test'),
        naptr(10, 20, 'SIP+D2T', '_sip._tcp.carrier.test'),
        naptr(10, 10, 'SIPS+D2T', '_sips._tcp.carrier.test'),
        naptr(5, 10, 'SIP+D2W', '_sip._ws.carrier.test'),
      ],
      'SRV _sips._tcp.carrier.test': [srv('tls.carrier.test', 5061)],
      'SRV _sip._tcp.carrier.test': [srv('tcp.carrier.test', 5070)],
      'SRV _sip._udp.carrier.test': [srv('b.carrier.test', 5080, 20), srv('a.carrier.test', 5060, 10)],
      'A tls.carrier.test': ['192.0.2.1'],
      'A tcp.carrier.test': ['192.0.2.2'],
      'A a.carrier.test': ['192.0.2.3', '192.0.2.4'],
      'A b.carrier.test': ['192.0.2.5'],
    });
    const targets = await resolveTargets(hop('carrier.test'), options(lookup));
    expect(brief(targets)).toEqual([
      'tls/192.0.2.1:5061 naptr',
      'tcp/192.0.2.2:5070 naptr',
      'udp/192.0.2.3:5060 naptr',
      'udp/192.0.2.4:5060 naptr',
      'udp/192.0.2.5:5080 naptr',
    ]);
    expect(asked).not.toContain('SRV _sip._ws.carrier.test');
  });

  it('ignores NAPTR records that are not "s" or not SIP, and a sips: URI takes TLS services only', async () => {
    const { lookup } = zone({
      'NAPTR carrier.test': [
        naptr(10, 10, 'E2U+sip', 'x.carrier.test'),
        naptr(10, 10, 'SIP+D2U', 'a.carrier.test', 'a'),
        naptr(20, 10, 'SIP+D2U', '_sip._udp.carrier.test'),
        naptr(30, 10, 'SIPS+D2T', '_sips._tcp.carrier.test'),
      ],
      'SRV _sip._udp.carrier.test': [srv('gw.carrier.test', 5060)],
      'SRV _sips._tcp.carrier.test': [srv('gw.carrier.test', 5061)],
      'A gw.carrier.test': ['192.0.2.9'],
    });
    expect(brief(await resolveTargets(hop('carrier.test'), options(lookup)))).toEqual([
      'udp/192.0.2.9:5060 naptr',
      'tls/192.0.2.9:5061 naptr',
    ]);
    expect(brief(await resolveTargets(hop('carrier.test', { secure: true }), options(lookup)))).toEqual([
      'tls/192.0.2.9:5061 naptr',
    ]);
  });

  it('without NAPTR asks SRV for each transport it speaks, UDP first', async () => {
    const { lookup, asked } = zone({
      'SRV _sip._tcp.pbx.test': [srv('pbx.test', 5062)],
      'A pbx.test': ['192.0.2.7'],
    });
    const targets = await resolveTargets(hop('pbx.test'), options(lookup, ['udp', 'tcp']));
    expect(brief(targets)).toEqual(['tcp/192.0.2.7:5062 srv']);
    expect(asked).toEqual([
      'NAPTR pbx.test',
      'SRV _sip._udp.pbx.test',
      'SRV _sip._tcp.pbx.test',
      'A pbx.test',
    ]);
  });

  it('with neither NAPTR nor SRV uses A on the default port (UDP 5060; TLS 5061 for sips:)', async () => {
    const { lookup } = zone({ 'A pbx.test': ['192.0.2.7'] });
    expect(brief(await resolveTargets(hop('pbx.test'), options(lookup)))).toEqual(['udp/192.0.2.7:5060 a']);
    expect(brief(await resolveTargets(hop('pbx.test', { secure: true }), options(lookup)))).toEqual([
      'tls/192.0.2.7:5061 a',
    ]);
  });

  it('a port in the URI means A/AAAA only; a transport without a port means its SRV, then A', async () => {
    const records = {
      'NAPTR pbx.test': [naptr(10, 10, 'SIP+D2T', '_sip._tcp.pbx.test')],
      'SRV _sip._tcp.pbx.test': [srv('gw.pbx.test', 5099)],
      'A gw.pbx.test': ['192.0.2.8'],
      'A pbx.test': ['192.0.2.7'],
      'AAAA pbx.test': ['2001:db8::7'],
    };
    const withPort = zone(records);
    const targets = await resolveTargets(
      hop('pbx.test', { port: 5080 }),
      options(withPort.lookup, undefined, { ipv6: true }),
    );
    expect(brief(targets)).toEqual(['udp/192.0.2.7:5080 a', 'udp/2001:db8::7:5080 a']);
    expect(withPort.asked).toEqual(['A pbx.test', 'AAAA pbx.test']);

    const withTransport = zone(records);
    expect(
      brief(await resolveTargets(hop('pbx.test', { transport: 'tcp' }), options(withTransport.lookup))),
    ).toEqual(['tcp/192.0.2.8:5099 srv']);
    expect(withTransport.asked).toEqual(['SRV _sip._tcp.pbx.test', 'A gw.pbx.test']);
    const noSrv = zone({ 'A pbx.test': ['192.0.2.7'] });
    expect(brief(await resolveTargets(hop('pbx.test', { transport: 'tcp' }), options(noSrv.lookup)))).toEqual(
      ['tcp/192.0.2.7:5060 a'],
    );
  });

  it('passes an IP literal through without asking DNS', async () => {
    const { lookup, asked } = zone({});
    expect(brief(await resolveTargets(hop('192.0.2.1', { transport: 'tcp' }), options(lookup)))).toEqual([
      'tcp/192.0.2.1:5060 ip',
    ]);
    expect(asked).toEqual([]);
  });

  it('asks the fallback (the system resolver) only when DNS has no address, and returns [] for an unknown name', async () => {
    const { lookup } = zone({});
    const fallbackAddress = (host: string) => Promise.resolve(host === 'sipp' ? '127.0.0.1' : undefined);
    expect(brief(await resolveTargets(hop('sipp'), options(lookup, undefined, { fallbackAddress })))).toEqual(
      ['udp/127.0.0.1:5060 a'],
    );
    expect(
      await resolveTargets(hop('nowhere.test'), options(lookup, undefined, { fallbackAddress })),
    ).toEqual([]);
  });

  it('bounds the targets one request can fail over across', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `192.0.2.${i + 1}`);
    const { lookup } = zone({
      'SRV _sip._udp.big.test': [srv('a.big.test', 5060), srv('b.big.test', 5060)],
      'A a.big.test': many,
      'A b.big.test': many,
    });
    expect(await resolveTargets(hop('big.test'), options(lookup))).toHaveLength(MAX_TARGETS);
  });
});
