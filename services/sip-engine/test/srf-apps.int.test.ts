// Out-of-dialog requests, CDR events, several apps and app disconnects (research §11.3 items 2, 13, 17, 18).
import { waitFor } from '@callctl/testing';
import Srf from 'drachtio-srf';
import { once, routed, SECRET, startEngineEnv, type EngineEnv } from './support/engine-env.js';
import { ScriptedUa, SDP_A } from './support/scripted-ua.js';
import { inboundCall } from './support/srf-apps.js';
import { asDialog, loose, type SrfMessage } from './support/srf-types.js';

interface SentRequest {
  on(event: 'response', fn: (res: SrfMessage) => void): void;
}

describe('out-of-dialog requests', () => {
  it('sends OPTIONS with srf.request and hands the response to the sent request', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const sent = (await loose(srf).request(ua.uri, {
      method: 'OPTIONS',
      headers: { Subject: 'keepalive' },
    })) as SentRequest;
    const response = new Promise<SrfMessage>((resolve) => sent.on('response', resolve));
    const options = await ua.expectRequest('OPTIONS');
    expect(options.get('Subject')).toBe('keepalive');
    expect(options.contacts).toHaveLength(0);
    await ua.reply(options, ua.respond(options, 200, { headers: [['Allow', 'INVITE, BYE']] }));
    const res = await response;
    expect(res.status).toBe(200);
    expect(res.get('Allow')).toBe('INVITE, BYE');
  });

  it.each(['REGISTER', 'MESSAGE'])(
    'sends %s out of dialog as a plain non-INVITE transaction',
    async (method) => {
      await using env = await startEngineEnv();
      await using ua = await ScriptedUa.start('udp');
      const srf = await env.app();
      const sent = (await loose(srf).request(ua.uri, {
        method,
        headers:
          method === 'REGISTER'
            ? { Contact: '<sip:edge@localhost>', Expires: '60' }
            : { 'Content-Type': 'text/plain' },
        body: method === 'MESSAGE' ? 'hello' : undefined,
      })) as SentRequest;
      const response = new Promise<SrfMessage>((resolve) => sent.on('response', resolve));
      const request = await ua.expectRequest(method);
      if (method === 'REGISTER')
        expect(request.contacts[0]!.uri).toBe(`sip:edge@127.0.0.1:${env.peer().port}`);
      else expect(request.body.toString()).toBe('hello');
      await ua.reply(request, ua.respond(request, 200));
      expect((await response).status).toBe(200);
      expect(env.engine.core.dialogs.size).toBe(0);
    },
  );

  it('sends OPTIONS to a next-hop proxy without adding a Route', async () => {
    await using env = await startEngineEnv();
    await using proxy = await ScriptedUa.start('udp');
    const srf = await env.app();
    await loose(srf).request('sip:somebody@192.0.2.40', { method: 'OPTIONS', proxy: proxy.uri });
    const options = await proxy.expectRequest('OPTIONS');
    expect(options.uri).toBe('sip:somebody@192.0.2.40');
    expect(options.has('Route')).toBe(false);
  });

  it('routes an inbound OPTIONS to the app that asked for it', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    loose(srf).options((_req, res) => res.send(200, { headers: { 'X-App': 'one' } }));
    await routed(env, 'options');
    await ua.send(ua.request('OPTIONS', env.uri()), env.peer());
    const ok = await ua.expectResponse(200, 'OPTIONS');
    expect(ok.get('X-App')).toBe('one');
    expect(ok.to.tag).toBeDefined();
  });

  it('shares new requests round-robin between two apps', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const one = await env.app();
    const two = await env.app();
    loose(one).options((_req, res) => res.send(200, { headers: { 'X-App': 'one' } }));
    loose(two).options((_req, res) => res.send(200, { headers: { 'X-App': 'two' } }));
    await routed(env, 'options', 2);
    const answeredBy: string[] = [];
    for (let i = 0; i < 4; i++) {
      await ua.send(ua.request('OPTIONS', env.uri()), env.peer());
      answeredBy.push((await ua.expectResponse(200, 'OPTIONS')).get('X-App')!);
    }
    expect([...answeredBy].sort()).toEqual(['one', 'one', 'two', 'two']);
    expect(answeredBy[0]).not.toBe(answeredBy[1]);
  });
});

describe('advertised address', () => {
  it('puts the advertised host in Contact and in the host ports srf is given', async () => {
    await using env = await startEngineEnv(undefined, { advertisedHost: '192.0.2.1' });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    expect(env.engine.hostports).toBe(
      `udp/192.0.2.1:${env.peer('udp').port},tcp/192.0.2.1:${env.peer('tcp').port}`,
    );
    await loose(srf).request(ua.uri, { method: 'OPTIONS' });
    const options = await ua.expectRequest('OPTIONS');
    expect(options.topVia.host).toBe('192.0.2.1');
    expect(options.from.uri).toBe(`sip:192.0.2.1:${env.peer('udp').port}`);
  });
});

/** Subscribes `srf` to all three CDR events; each lands in the list as `<event> <source> [role|reason]`. */
async function recordCdrs(env: EngineEnv, srf: Srf): Promise<string[]> {
  const cdrs: string[] = [];
  srf.on('cdr:attempt', (source: string) => cdrs.push(`attempt ${source}`));
  srf.on('cdr:start', (source: string, _time: string, role: string) => cdrs.push(`start ${source} ${role}`));
  srf.on('cdr:stop', (source: string, _time: string, reason: string) =>
    cdrs.push(`stop ${source} ${reason}`),
  );
  await routed(env, 'cdr:stop');
  return cdrs;
}

describe('CDR events', () => {
  it('reports attempt, start (uas) and stop (normal-release) for an answered inbound call', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const cdrs = await recordCdrs(env, srf);
    const call = await inboundCall(env, srf, ua);
    const destroyed = once(call.dialog, 'destroy');
    await ua.send(ua.inDialog('BYE', call.ua), env.peer());
    await destroyed;
    await waitFor('three CDRs', () => cdrs.length === 3);
    expect(cdrs).toEqual(['attempt network', 'start application uas', 'stop network normal-release']);
  });

  it('reports attempt (application), start (uac) and stop (application normal-release) for a call the app places', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const cdrs = await recordCdrs(env, srf);
    const dialogP = srf.createUAC(ua.uri, { localSdp: SDP_A });
    const invite = await ua.expectRequest('INVITE');
    await ua.send(ua.respond(invite, 200, { body: SDP_A }), env.peer());
    const dialog = asDialog(await dialogP);
    await ua.expectRequest('ACK');
    const gone = dialog.destroy();
    const bye = await ua.expectRequest('BYE');
    await ua.send(ua.respond(bye, 200), env.peer());
    await gone;
    await waitFor('three CDRs', () => cdrs.length === 3);
    expect(cdrs).toEqual(['attempt application', 'start network uac', 'stop application normal-release']);
  });

  it('reports call-rejected and call-canceled stops', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const stops: string[] = [];
    srf.on('cdr:stop', (_source: string, _time: string, reason: string) => stops.push(reason));
    let n = 0;
    srf.invite((_req, res) => {
      if (n++ === 0) res.send(486);
    });
    await routed(env, 'cdr:stop');
    await routed(env, 'invite');
    const rejected = ua.invite(env.uri());
    await ua.send(rejected, env.peer());
    await ua.send(ua.ackNon2xx(rejected, await ua.expectResponse(486)), env.peer());
    const cancelled = ua.invite(env.uri());
    await ua.send(cancelled, env.peer());
    await ua.expectResponse(100);
    await ua.expectResponse(100);
    await ua.send(ua.cancel(cancelled), env.peer());
    await ua.expectResponse(487);
    await waitFor('two stops', () => stops.length === 2);
    expect(stops).toEqual(['call-rejected', 'call-canceled']);
  });
});

describe('app disconnect', () => {
  it('keeps the call up on the SIP side and answers later in-dialog requests with 481', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);
    env.disconnect(srf);
    await waitFor('app gone', () => env.engine.admin.connections.size === 0);
    expect(env.engine.core.dialogs.size).toBe(1);
    await ua.send(ua.inDialog('INFO', call.ua), env.peer());
    await ua.expectResponse(481, 'INFO');
    await ua.send(ua.inDialog('BYE', call.ua), env.peer());
    await ua.expectResponse(481, 'BYE');
    expect(env.engine.core.dialogs.size).toBe(0);

    // A new app connecting gets new calls again.
    const again = await env.app();
    again.invite((_req, res) => res.send(480));
    await routed(env, 'invite');
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    expect((await ua.expectResponse(480)).cseq.seq).toBe(invite.cseq.seq);
  });
});

describe('keepalive', () => {
  it('is pinged by srf (it accepted the version string) and answers pong', async () => {
    await using env = await startEngineEnv();
    const srf = new Srf();
    await new Promise<void>((resolve, reject) => {
      srf.on('connect', (err: Error | null) => (err ? reject(err) : resolve()));
      srf.connect({
        host: '127.0.0.1',
        port: env.engine.adminPort,
        secret: SECRET,
        enablePing: true,
        pingInterval: 5000,
      } as never);
    });
    try {
      await waitFor('a ping', () => env.engine.admin.pingsAnswered > 0 || undefined, 8000);
    } finally {
      srf.disconnect();
    }
  }, 15_000);
});

describe('app gone while its call is set up', () => {
  it('ACKs and ends a call answered after the app that placed it disconnected', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    void srf.createUAC(ua.uri, { localSdp: SDP_A }).catch(() => undefined);
    const invite = await ua.expectRequest('INVITE');
    env.disconnect(srf);
    await waitFor('app gone', () => env.engine.admin.connections.size === 0 || undefined);
    await ua.send(ua.respond(invite, 200, { body: SDP_A }), env.peer());
    const ack = await ua.expectRequest('ACK');
    expect(ack.cseq.seq).toBe(invite.cseq.seq);
    const bye = await ua.expectRequest('BYE');
    expect(bye.get('Reason')).toMatch(/Application gone/);
    await ua.send(ua.respond(bye, 200), env.peer());
    await waitFor('dialog gone', () => env.engine.core.dialogs.size === 0 || undefined);
  });
});
