// UPDATE before the INVITE's 2xx, both sides (RFC 3311, research §7.12, §11.3 item 12).
import { routed, startEngineEnv } from './support/engine-env.js';
import { dialogAsUas, ScriptedUa, SDP_A, SDP_B } from './support/scripted-ua.js';
import type { SrfMessage, SrfResponse } from './support/srf-types.js';

interface PendingInvite {
  on(event: 'update', fn: (req: SrfMessage, res: SrfResponse) => void): void;
}

describe('early UPDATE', () => {
  it('delivers a caller UPDATE during ringing to the pending INVITE and returns the app answer', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const updated = new Promise<string>((resolve) =>
      srf.invite((req, res) => {
        res.send(180);
        (req as unknown as PendingInvite).on('update', (update, updateRes) => {
          resolve(update.body);
          updateRes.send(200, { body: SDP_B });
        });
      }),
    );
    await routed(env, 'invite');
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    const ringing = await ua.expectResponse(180);
    // the caller's view of the early dialog the 180 made (no Contact in a plain 180: target the engine)
    const early = {
      callId: invite.callId,
      local: invite.get('From')!,
      remote: ringing.get('To')!,
      remoteTarget: env.uri(),
      routeSet: [],
      localSeq: invite.cseq.seq,
    };
    const update = ua.inDialog('UPDATE', early, { body: SDP_A.replace('40000', '41000') });
    await ua.send(update, env.peer());
    const ok = await ua.expectResponse(200, 'UPDATE');
    expect(ok.body.toString()).toBe(SDP_B);
    expect(ok.to.tag).toBe(ringing.to.tag);
    expect(await updated).toContain('41000');
    // the INVITE is still pending: the app can still answer it
    expect(env.engine.core.stats.inbound).toBe(1);
  });

  it('delivers a callee UPDATE during ringing to createUAC, which answers with its offer', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    void srf.createUAC(ua.uri, { localSdp: SDP_A }).catch(() => undefined);
    const invite = await ua.expectRequest('INVITE');
    const ringing = ua.respond(invite, 180);
    await ua.send(ringing, env.peer());
    const early = dialogAsUas(invite, ringing);
    const update = ua.inDialog('UPDATE', early, { body: SDP_B });
    await ua.send(update, env.peer());
    const ok = await ua.expectResponse(200, 'UPDATE');
    expect(ok.body.toString()).toBe(SDP_A);
    expect(ok.cseq.seq).toBe(update.cseq.seq);
    await ua.send(ua.respond(invite, 486), env.peer());
    await ua.expectRequest('ACK');
  });
});
