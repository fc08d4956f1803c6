// RFC 3263 for requests apps send to host names: the engine asks a real DNS server (dnsmasq on loopback)
// for NAPTR, SRV and A records, caches them by TTL, and fails over to the next target on 503 or a
// transport error.
import { startDnsmasq, type DnsmasqFixture } from '@callctl/testing';
import { startEngineEnv, type EngineEnv } from './support/engine-env.js';
import { ScriptedUa, SDP_A } from './support/scripted-ua.js';

describe('srf createUAC to host names (RFC 3263 against dnsmasq)', () => {
  let dns: DnsmasqFixture;
  let env: EngineEnv;
  let refusing: ScriptedUa;
  let answering: ScriptedUa;
  let closedTcpPort: number;

  /** The app's INVITE; resolves to its final status (or the engine's NOK text). */
  const invite = async (uri: string) => {
    const srf = await env.app();
    return srf.createUAC(uri, { localSdp: SDP_A }).then(
      () => 200,
      (err: { status?: number; message: string }) => err.status ?? err.message,
    );
  };

  beforeAll(async () => {
    refusing = await ScriptedUa.start('udp');
    answering = await ScriptedUa.start('udp');
    const closed = await ScriptedUa.start('tcp');
    closedTcpPort = closed.transport.local.port;
    await closed.close();
    const a = refusing.transport.local.port;
    const b = answering.transport.local.port;
    dns = await startDnsmasq({
      naptr: [
        // carrier.test: UDP through SRV, the 503-answering target first.
        {
          name: 'carrier.test',
          order: 10,
          preference: 10,
          service: 'SIP+D2U',
          replacement: '_sip._udp.carrier.test',
        },
        // fallback.test: TCP first (nobody listens), then UDP.
        {
          name: 'fallback.test',
          order: 10,
          preference: 10,
          service: 'SIP+D2T',
          replacement: '_sip._tcp.fallback.test',
        },
        {
          name: 'fallback.test',
          order: 20,
          preference: 10,
          service: 'SIP+D2U',
          replacement: '_sip._udp.fallback.test',
        },
      ],
      srv: [
        { name: '_sip._udp.carrier.test', target: 'gw-a.carrier.test', port: a, priority: 10, weight: 10 },
        { name: '_sip._udp.carrier.test', target: 'gw-b.carrier.test', port: b, priority: 20, weight: 10 },
        {
          name: '_sip._tcp.fallback.test',
          target: 'gw-a.carrier.test',
          port: closedTcpPort,
          priority: 10,
          weight: 0,
        },
        { name: '_sip._udp.fallback.test', target: 'gw-b.carrier.test', port: b, priority: 10, weight: 0 },
        // srv-only.test: no NAPTR, so the engine asks _sip._udp itself.
        { name: '_sip._udp.srv-only.test', target: 'gw-b.carrier.test', port: b, priority: 1, weight: 1 },
        // silent.test (no NAPTR): the first target never answers.
        { name: '_sip._udp.silent.test', target: 'gw-a.carrier.test', port: a, priority: 1, weight: 0 },
        { name: '_sip._udp.silent.test', target: 'gw-b.carrier.test', port: b, priority: 2, weight: 0 },
      ],
      hosts: [
        { name: 'gw-a.carrier.test', address: '127.0.0.1' },
        { name: 'gw-b.carrier.test', address: '127.0.0.1' },
      ],
      zones: ['carrier.test', 'fallback.test', 'srv-only.test', 'silent.test', 'nowhere.test'],
    });
    env = await startEngineEnv(undefined, {
      dns: { servers: [{ host: '127.0.0.1', port: dns.port }], timeoutMs: 2000 },
    });
  });

  afterAll(async () => {
    await env?.[Symbol.asyncDispose]();
    await dns?.stop();
    await refusing?.close();
    await answering?.close();
  });

  it('follows NAPTR → SRV → A and fails over to the second SRV target when the first answers 503', async () => {
    const outcome = invite('sip:bob@carrier.test');
    const first = await refusing.expectRequest('INVITE');
    expect(first.uri).toBe('sip:bob@carrier.test');
    await refusing.reply(first, refusing.respond(first, 503));
    await refusing.expectRequest('ACK');
    const second = await answering.expectRequest('INVITE');
    // A new transaction to the next target: same call, new branch.
    expect(second.callId).toBe(first.callId);
    expect(second.topVia.branch).not.toBe(first.topVia.branch);
    await answering.reply(second, answering.respond(second, 486));
    await answering.expectRequest('ACK');
    // The app sees the last target's answer only.
    expect(await outcome).toBe(486);
    expect(dns.queries()).toEqual(
      expect.arrayContaining(['NAPTR carrier.test', 'SRV _sip._udp.carrier.test', 'A gw-a.carrier.test']),
    );
  });

  it('keeps the answers for their TTL: a second call to the domain asks DNS nothing', async () => {
    const asked = dns.queries().length;
    const outcome = invite('sip:carol@carrier.test');
    const first = await refusing.expectRequest('INVITE');
    await refusing.reply(first, refusing.respond(first, 486));
    expect(await outcome).toBe(486);
    expect(dns.queries().slice(asked)).toEqual([]);
  });

  it('moves on in NAPTR order when the first target refuses the TCP connection, with a UDP Via', async () => {
    const outcome = invite('sip:dave@fallback.test');
    const request = await answering.expectRequest('INVITE');
    expect(request.topVia.transport).toBe('UDP');
    await answering.reply(request, answering.respond(request, 480));
    expect(await outcome).toBe(480);
  });

  it('asks SRV without NAPTR, A only for a URI with a port, and reports a name nobody knows', async () => {
    const viaSrv = invite('sip:erin@srv-only.test');
    const one = await answering.expectRequest('INVITE');
    await answering.reply(one, answering.respond(one, 404));
    expect(await viaSrv).toBe(404);
    expect(dns.queries()).toContain('SRV _sip._udp.srv-only.test');

    const withPort = invite(`sip:frank@gw-b.carrier.test:${answering.transport.local.port}`);
    const two = await answering.expectRequest('INVITE');
    await answering.reply(two, answering.respond(two, 404));
    expect(await withPort).toBe(404);
    expect(dns.queries()).not.toContain('NAPTR gw-b.carrier.test');

    expect(await invite('sip:bob@nowhere.test')).toMatch(/cannot resolve host nowhere.test/);
  });

  it('does not fail over once the target sent a provisional response: its 503 is the app’s', async () => {
    const outcome = invite('sip:grace@carrier.test');
    const request = await refusing.expectRequest('INVITE');
    await refusing.reply(request, refusing.respond(request, 180));
    await refusing.reply(request, refusing.respond(request, 503));
    expect(await outcome).toBe(503);
    await refusing.expectRequest('ACK');
    expect(answering.has((m) => 'method' in m && m.method === 'INVITE')).toBe(false);
  });

  it('fails over when the first target stays silent until Timer B (short timers here)', async () => {
    // Its own engine with T1 = 20 ms, so Timer B (64×T1) fires after 1.3 s rather than 32 s.
    await using quick = await startEngineEnv(
      { t1Ms: 20, t2Ms: 160, t4Ms: 200 },
      { dns: { servers: [{ host: '127.0.0.1', port: dns.port }], timeoutMs: 2000 } },
    );
    const srf = await quick.app();
    const outcome = srf.createUAC('sip:heidi@silent.test', { localSdp: SDP_A }).then(
      () => 200,
      (err: { status?: number }) => err.status,
    );
    const ignored = await refusing.expectRequest('INVITE');
    const request = await answering.expectRequest('INVITE', 10_000);
    expect(request.callId).toBe(ignored.callId);
    await answering.reply(request, answering.respond(request, 486));
    expect(await outcome).toBe(486);
    // Retransmissions of the ignored INVITE, absorbed here so later tests start clean.
    while (refusing.has((m) => 'method' in m && m.method === 'INVITE'))
      await refusing.expectRequest('INVITE');
  });
});
