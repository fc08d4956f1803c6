// Reliable provisional responses and PRACK both ways (RFC 3262, research §7.2, §7.4, §11.3 item 11).
import { SipResponse } from '@callctl/sip';
import { routed, startEngineEnv } from './support/engine-env.js';
import { ScriptedUa, SDP_A, SDP_B } from './support/scripted-ua.js';
import { asDialog, type SrfDialog } from './support/srf-types.js';

interface ReliableResponse {
  send(status: number, opts: object, cb: (err: unknown) => void, onPrack: () => void): void;
}

describe('100rel', () => {
  it('sends the app’s 183 reliably (RSeq, resent until PRACK), delivers the PRACK and then the 200', async () => {
    await using env = await startEngineEnv({ t1Ms: 50, t2Ms: 200, t4Ms: 250 });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const answered = new Promise<SrfDialog>((resolve, reject) =>
      srf.invite((req, res) => {
        (res as unknown as ReliableResponse).send(
          183,
          { headers: { Require: '100rel' }, body: SDP_B },
          () => undefined,
          () => srf.createUAS(req, res, { localSdp: SDP_B }).then((d) => resolve(asDialog(d)), reject),
        );
      }),
    );
    await routed(env, 'invite');
    const invite = ua.request('INVITE', env.uri(), { body: SDP_A, headers: [['Supported', '100rel']] });
    await ua.send(invite, env.peer());
    const progress = await ua.expectResponse(183, 'INVITE');
    const rseq = progress.get('RSeq');
    expect(rseq).toMatch(/^\d+$/);
    expect(progress.get('Require')).toBe('100rel');
    expect(progress.contacts).toHaveLength(1);
    const again = await ua.expectResponse(183, 'INVITE');
    expect(again.get('RSeq')).toBe(rseq);

    const early = {
      callId: invite.callId,
      local: invite.get('From')!,
      remote: progress.get('To')!,
      remoteTarget: progress.contacts[0]!.uri,
      routeSet: [],
      localSeq: invite.cseq.seq,
    };
    const prack = ua.inDialog('PRACK', early, { headers: [['RAck', `${rseq} ${invite.cseq.seq} INVITE`]] });
    await ua.send(prack, env.peer());
    await ua.expectResponse(200, 'PRACK');
    const ok = await ua.expectResponse(200, 'INVITE');
    expect(ok.to.tag).toBe(progress.to.tag);
    await ua.send(ua.ackFor(invite, ok), env.peer());
    const dialog = await answered;
    expect(dialog.sip.localTag).toBe(progress.to.tag);
    const resent183 = ua.log.filter((m) => m instanceof SipResponse && m.status === 183).length;
    await new Promise((r) => setTimeout(r, 200));
    expect(ua.log.filter((m) => m instanceof SipResponse && m.status === 183).length).toBe(resent183);
  });

  it('refuses a reliable provisional when the caller did not offer 100rel', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const refused = new Promise<unknown>((resolve) =>
      srf.invite((_req, res) =>
        (res as unknown as ReliableResponse).send(
          183,
          { headers: { Require: '100rel' } },
          resolve,
          () => undefined,
        ),
      ),
    );
    await routed(env, 'invite');
    await ua.send(ua.invite(env.uri()), env.peer());
    expect(String(await refused)).toMatch(/does not support 100rel/);
  });

  it('lets srf PRACK a reliable 183 of the callee (RAck, CSeq+1) and ACK the 200 with the INVITE CSeq', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const dialogP = srf.createUAC(ua.uri, { localSdp: SDP_A, headers: { Supported: '100rel' } } as never);
    const invite = await ua.expectRequest('INVITE');
    const progress = ua.respond(invite, 183, {
      body: SDP_B,
      headers: [
        ['Require', '100rel'],
        ['RSeq', '7'],
      ],
    });
    await ua.send(progress, env.peer());
    const prack = await ua.expectRequest('PRACK');
    expect(prack.get('RAck')).toBe(`7 ${invite.cseq.seq} INVITE`);
    expect(prack.cseq.seq).toBe(invite.cseq.seq + 1);
    expect(prack.to.tag).toBe('ua-tag');
    await ua.send(ua.respond(prack, 200), env.peer());
    await ua.send(ua.respond(invite, 200, { body: SDP_B }), env.peer());
    const ack = await ua.expectRequest('ACK');
    expect(ack.cseq.seq).toBe(invite.cseq.seq);
    const dialog = asDialog(await dialogP);
    void dialog.destroy();
    const bye = await ua.expectRequest('BYE');
    expect(bye.cseq.seq).toBe(prack.cseq.seq + 1);
    await ua.send(ua.respond(bye, 200), env.peer());
  });
});
