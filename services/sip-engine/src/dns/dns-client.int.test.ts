// The DNS client against a real server: dnsmasq on loopback (libs/testing), serving only its flags' records.
import { createSocket, type Socket } from 'node:dgram';
import { createLogger } from '@callctl/logging';
import { startDnsmasq, type DnsmasqFixture } from '@callctl/testing';
import { DnsClient } from './dns-client.js';
import { DnsError } from './dns-records.js';

const log = createLogger({ service: 'dns-client-test', level: 'silent' });

describe('DnsClient against dnsmasq', () => {
  let dns: DnsmasqFixture;
  let silent: Socket;
  let silentPort: number;

  beforeAll(async () => {
    dns = await startDnsmasq({
      naptr: [
        {
          name: 'carrier.test',
          order: 10,
          preference: 20,
          service: 'SIP+D2U',
          replacement: '_sip._udp.carrier.test',
        },
      ],
      srv: [
        { name: '_sip._udp.carrier.test', target: 'gw.carrier.test', port: 5070, priority: 10, weight: 60 },
      ],
      hosts: [
        { name: 'gw.carrier.test', address: '192.0.2.10', ttlS: 120 },
        { name: 'v6.carrier.test', address: '2001:db8::10' },
      ],
      ttlS: 45,
    });
    // A server that never answers, for the timeout.
    silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    silentPort = silent.address().port;
  });

  afterAll(async () => {
    silent?.close();
    await dns?.stop();
  });

  const client = (ports: number[], timeoutMs = 2000) =>
    new DnsClient({ servers: ports.map((port) => ({ address: '127.0.0.1', port })), timeoutMs, log });

  it('reads NAPTR, SRV, A and AAAA records with their TTLs', async () => {
    const c = client([dns.port]);
    expect(await c.query('carrier.test', 'NAPTR')).toEqual({
      records: [
        {
          order: 10,
          preference: 20,
          flags: 's',
          services: 'SIP+D2U',
          regexp: '',
          replacement: '_sip._udp.carrier.test',
        },
      ],
      ttlS: 45,
    });
    expect(await c.query('_sip._udp.carrier.test', 'SRV')).toEqual({
      records: [{ priority: 10, weight: 60, port: 5070, target: 'gw.carrier.test' }],
      ttlS: 45,
    });
    expect(await c.query('gw.carrier.test', 'A')).toEqual({ records: ['192.0.2.10'], ttlS: 120 });
    expect(await c.query('v6.carrier.test', 'AAAA')).toEqual({ records: ['2001:db8::10'], ttlS: 45 });
  });

  it('answers no records for a name the zone lacks (NXDOMAIN) and for a type it lacks (NODATA)', async () => {
    const c = client([dns.port]);
    expect((await c.query('nobody.carrier.test', 'A')).records).toEqual([]);
    expect((await c.query('gw.carrier.test', 'AAAA')).records).toEqual([]);
  });

  it('moves on to the next server when one does not answer in time', async () => {
    const c = client([silentPort, dns.port], 300);
    expect((await c.query('gw.carrier.test', 'A')).records).toEqual(['192.0.2.10']);
  });

  it('fails with every server named when none gives an answer (REFUSED outside its zones, a timeout)', async () => {
    const c = client([dns.port, silentPort], 300);
    const failure = await c.query('example.org', 'A').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(DnsError);
    expect(String(failure)).toMatch(
      new RegExp(`127.0.0.1:${dns.port} REFUSED.*127.0.0.1:${silentPort} no answer in 300 ms`),
    );
  });
});
