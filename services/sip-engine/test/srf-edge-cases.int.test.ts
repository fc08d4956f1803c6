// Protocol edge cases around the transaction layer (research §7.1, §7.7; RFC 3261 8.2.2.2, 16.3).
import { SipRequest, SipResponse } from '@callctl/sip';
import { waitFor } from '@callctl/testing';
import { once, routed, startEngineEnv } from './support/engine-env.js';
import { ScriptedUa, SDP_B } from './support/scripted-ua.js';
import { inboundCall, uasApp } from './support/srf-apps.js';
import { loose } from './support/srf-types.js';

describe('transaction-layer edge cases', () => {
  it('refuses a CANCEL after the 200 with 481, sends BYE and tells the app (unsolicited)', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const { dialog } = await uasApp(env, srf);
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    await ua.expectResponse(200, 'INVITE');
    const srfDialog = await dialog;
    const destroyed = once<[unknown, string]>(srfDialog, 'destroy');
    await ua.send(ua.cancel(invite), env.peer());
    await ua.expectResponse(481, 'CANCEL');
    const bye = await ua.expectRequest('BYE');
    expect(bye.get('Reason')).toMatch(/CANCEL after 200 OK/);
    const [, reason] = await destroyed;
    expect(reason).toMatch(/CANCEL after 200 OK/);
  });

  it('answers a merged request (same Call-ID, From tag and CSeq, other branch) with 482', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    srf.invite(() => undefined);
    await routed(env, 'invite');
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    await ua.expectResponse(100);
    const forked = new SipRequest(
      invite.method,
      invite.uri,
      invite.headers.map(([n, v]): [string, string] => [n, v]),
      invite.body,
    );
    forked.setTopVia(invite.get('Via')!.replace(/branch=[^;]+/, 'branch=z9hG4bKother'));
    await ua.send(forked, env.peer());
    await ua.expectResponse(482);
  });

  it('answers Max-Forwards: 0 with 483', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const options = ua.request('OPTIONS', env.uri());
    options.set('Max-Forwards', '0');
    await ua.send(options, env.peer());
    await ua.expectResponse(483);
  });

  it('absorbs a retransmitted INVITE: the app sees it once and the last provisional is re-sent', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    let seen = 0;
    srf.invite((_req, res) => {
      seen++;
      res.send(180);
    });
    await routed(env, 'invite');
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    await ua.expectResponse(180);
    await ua.send(invite, env.peer());
    await ua.expectResponse(180);
    expect(seen).toBe(1);
  });

  it('removes every table entry when its transaction or dialog ends', async () => {
    await using env = await startEngineEnv({ t1Ms: 10, t2Ms: 40, t4Ms: 50 });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    loose(srf).options((_req, res) => res.send(200));
    const call = await inboundCall(env, srf, ua);
    await ua.send(ua.request('OPTIONS', env.uri()), env.peer());
    await ua.expectResponse(200, 'OPTIONS');
    const destroyed = once(call.dialog, 'destroy');
    await ua.send(ua.inDialog('BYE', call.ua), env.peer());
    await destroyed;
    await waitFor(
      'tables empty',
      () => Object.values(env.engine.core.stats).every((n) => n === 0) || undefined,
      5000,
    );
  });
});

describe('REGISTER checks before routing', () => {
  async function register(expires: string) {
    const env = await startEngineEnv();
    const ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    loose(srf).register((_req, res) => res.send(200));
    await routed(env, 'register');
    const request = ua.request('REGISTER', env.uri(), { headers: [['Expires', expires]] });
    request.set('Contact', '*');
    await ua.send(request, env.peer());
    return { env, ua };
  }

  it('refuses Contact: * with a non-zero Expires (400 naming the problem)', async () => {
    const { env, ua } = await register('3600');
    await using _env = env;
    await using _ua = ua;
    expect((await ua.expectResponse(400, 'REGISTER')).reason).toMatch(/Contact: \* needs Expires: 0/);
  });

  it('routes Contact: * with Expires: 0 (remove all bindings) to the app', async () => {
    const { env, ua } = await register('0');
    await using _env = env;
    await using _ua = ua;
    await ua.expectResponse(200, 'REGISTER');
  });
});

describe('apps that take their time', () => {
  it('lets a call ring past 64*T1 once the app has sent a provisional', async () => {
    await using env = await startEngineEnv({ t1Ms: 10, t2Ms: 40, t4Ms: 50 });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    srf.invite((req, res) => {
      res.send(180);
      setTimeout(() => void srf.createUAS(req, res, { localSdp: SDP_B }).catch(() => undefined), 1000);
    });
    await routed(env, 'invite');
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    await ua.expectResponse(180);
    const ok = await ua.expectResponse(200, 'INVITE');
    await ua.send(ua.ackFor(invite, ok), env.peer());
    expect(ua.has((m) => m instanceof SipResponse && m.status === 500)).toBe(false);
  });

  it('answers 500 for an app that never answers at all', async () => {
    await using env = await startEngineEnv({ t1Ms: 10, t2Ms: 40, t4Ms: 50 });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    srf.invite(() => undefined);
    await routed(env, 'invite');
    await ua.send(ua.invite(env.uri()), env.peer());
    expect((await ua.expectResponse(500, 'INVITE')).reason).toBe('No answer from application');
  });

  it('answers 480 when an app leaves a call ringing past Timer C with no final answer', async () => {
    await using env = await startEngineEnv(undefined, { timerCMs: 300 });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    srf.invite((_req, res) => res.send(180));
    await routed(env, 'invite');
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    await ua.expectResponse(180);
    const gaveUp = await ua.expectResponse(480, 'INVITE');
    expect(gaveUp.reason).toBe('No final answer from application');
    await ua.send(ua.ackNon2xx(invite, gaveUp), env.peer());
    await waitFor('entry gone', () => env.engine.core.stats.inbound === 0 || undefined);
  });
});
