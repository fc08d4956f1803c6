// Session timers (RFC 4028, research §7.11, §11.3 item 19), on a manual clock: intervals are minutes.
import { ManualClock } from '../src/core/manual-clock.js';
import { once, routed, startEngineEnv } from './support/engine-env.js';
import { dialogAsUac, ScriptedUa, SDP_A, SDP_B } from './support/scripted-ua.js';
import { uasApp } from './support/srf-apps.js';

async function callWithSessionTimer(refresher: 'uac' | 'uas') {
  const clock = new ManualClock();
  const env = await startEngineEnv(undefined, { clock });
  const ua = await ScriptedUa.start('udp');
  const srf = await env.app();
  const { dialog } = await uasApp(env, srf);
  const invite = ua.request('INVITE', env.uri(), {
    body: SDP_A,
    headers: [
      ['Supported', 'timer'],
      ['Session-Expires', `120;refresher=${refresher}`],
    ],
  });
  await ua.send(invite, env.peer());
  const ok = await ua.expectResponse(200, 'INVITE');
  const srfDialog = await dialog;
  // The clock must not move before the ACK is in, or the no-ACK BYE fires first.
  const acked = once(srfDialog, 'ack');
  await ua.send(ua.ackFor(invite, ok), env.peer());
  await acked;
  return { clock, env, ua, invite, ok, srf, dialog: srfDialog };
}

/** A round trip to the engine: anything it sent before answering has arrived by then (loopback, in order). */
async function flush(ua: ScriptedUa, peer: { address: string; port: number }, uri: string): Promise<void> {
  await ua.send(ua.request('OPTIONS', uri), peer);
  await ua.expectResponse(503, 'OPTIONS');
}

describe('session timers', () => {
  it('refreshes with its own re-INVITE at half the interval when the caller made us the refresher', async () => {
    const { clock, env, ua, invite, ok, dialog } = await callWithSessionTimer('uas');
    await using _env = env;
    await using _ua = ua;
    expect(ok.get('Session-Expires')).toBe('120;refresher=uas');
    clock.advance(59_000);
    await flush(ua, env.peer(), env.uri());
    expect(ua.has((m) => 'method' in m && m.method === 'INVITE')).toBe(false);
    clock.advance(1_000);
    const refresh = await ua.expectRequest('INVITE');
    expect(refresh.get('Session-Expires')).toBe('120;refresher=uac');
    expect(refresh.body.toString()).toBe(SDP_B);
    expect(refresh.cseq.seq).toBeGreaterThan(invite.cseq.seq);
    await ua.send(
      ua.respond(refresh, 200, { body: SDP_A, headers: [['Session-Expires', '120;refresher=uac']] }),
      env.peer(),
    );
    const ack = await ua.expectRequest('ACK');
    expect(ack.cseq.seq).toBe(refresh.cseq.seq);
    expect(dialog.id).toBe(`${invite.callId};from-tag=${invite.from.tag}`);
  });

  it('ends the call with BYE, tells the app and reports session-expired when the refresher stays silent', async () => {
    const { clock, env, ua, dialog, srf } = await callWithSessionTimer('uac');
    await using _env = env;
    await using _ua = ua;
    const stop = new Promise<string>((resolve) =>
      srf.on('cdr:stop', (_source: string, _time: string, reason: string) => resolve(reason)),
    );
    await routed(env, 'cdr:stop');
    const destroyed = once<[unknown, string]>(dialog, 'destroy');
    clock.advance(120_000);
    const bye = await ua.expectRequest('BYE');
    expect(bye.get('Reason')).toMatch(/Session timer expired/);
    const [, reason] = await destroyed;
    expect(reason).toMatch(/Session timer expired/);
    expect(await stop).toBe('session-expired');
  });

  it('restarts the timer on their refresh and refuses an interval below Min-SE with 422', async () => {
    const { clock, env, ua, invite, ok } = await callWithSessionTimer('uac');
    await using _env = env;
    await using _ua = ua;
    const dialog = dialogAsUac(invite, ok);
    clock.advance(100_000);
    const tooSmall = ua.inDialog('INVITE', dialog, { body: SDP_A, headers: [['Session-Expires', '30']] });
    await ua.send(tooSmall, env.peer());
    const refused = await ua.expectResponse(422, 'INVITE');
    expect(refused.get('Min-SE')).toBe('90');
    await ua.send(ua.ackNon2xx(tooSmall, refused), env.peer());
    const refresh = ua.inDialog('INVITE', dialog, {
      body: SDP_A,
      headers: [['Session-Expires', '120;refresher=uac']],
    });
    await ua.send(refresh, env.peer());
    const refreshed = await ua.expectResponse(200, 'INVITE');
    await ua.send(ua.inDialog('ACK', dialog, { seq: refresh.cseq.seq }), env.peer());
    await flush(ua, env.peer(), env.uri());
    expect(refreshed.to.tag).toBe(ok.to.tag);
    expect(refreshed.get('Session-Expires')).toBe('120;refresher=uac');
    clock.advance(100_000); // 200 s after the call began, 100 s after the refresh: still up
    await flush(ua, env.peer(), env.uri());
    expect(ua.has((m) => 'method' in m && m.method === 'BYE')).toBe(false);
    clock.advance(20_000);
    await ua.expectRequest('BYE');
  });

  it('refreshes a call the app placed when the callee’s 2xx makes us (the UAC) the refresher', async () => {
    const clock = new ManualClock();
    await using env = await startEngineEnv(undefined, { clock });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    void srf.createUAC(ua.uri, { localSdp: SDP_A }).catch(() => undefined);
    const invite = await ua.expectRequest('INVITE');
    await ua.send(
      ua.respond(invite, 200, { body: SDP_B, headers: [['Session-Expires', '90;refresher=uac']] }),
      env.peer(),
    );
    await ua.expectRequest('ACK');
    clock.advance(45_000);
    const refresh = await ua.expectRequest('INVITE');
    expect(refresh.body.toString()).toBe(SDP_A);
    expect(refresh.to.tag).toBe('ua-tag');
    expect(refresh.get('Session-Expires')).toBe('90;refresher=uac');
  });
});
