// drachtio-srf as the app answering calls from a scripted SIP peer over UDP (research §11.3 items 4-6).
import { SipResponse } from '@callctl/sip';
import { dialogAsUas, ScriptedUa, SDP_B } from './support/scripted-ua.js';
import { once, routed, startEngineEnv } from './support/engine-env.js';
import { uasApp } from './support/srf-apps.js';

import { asDialog, type SrfDialog as Dialog } from './support/srf-types.js';

describe('srf createUAS over UDP', () => {
  it('sends 100 Trying, relays 180 and 200 with Contact and To tag, delivers the ACK and a BYE from the caller', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const dialogP = new Promise<Dialog>((resolve, reject) => {
      srf.invite((req, res) => {
        res.send(180);
        srf.createUAS(req, res, { localSdp: SDP_B }).then((d) => resolve(asDialog(d)), reject);
      });
    });
    await routed(env, 'invite');

    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    const trying = await ua.expectResponse(100, 'INVITE');
    expect(trying.to.tag).toBeUndefined();
    const ringing = await ua.expectResponse(180, 'INVITE');
    const ok = await ua.expectResponse(200, 'INVITE');
    expect(ok.to.tag).toBeDefined();
    expect(ok.to.tag).toBe(ringing.to.tag);
    expect(ok.contacts[0]!.uri).toBe(`sip:127.0.0.1:${env.peer().port}`);
    expect(ok.get('Content-Type')).toBe('application/sdp');
    expect(ok.body.toString()).toBe(SDP_B);
    expect(ok.topVia.received).toBe('127.0.0.1');
    expect(ok.topVia.rport).toBe(ua.transport.local.port);

    const dialog = await dialogP;
    expect(dialog.id).toBe(`${invite.callId};from-tag=${invite.from.tag}`);
    expect(dialog.sip.localTag).toBe(ok.to.tag);
    expect(dialog.sip.remoteTag).toBe(invite.from.tag);
    expect(dialog.remote.sdp).toBe(invite.body.toString());

    const acked = once<[unknown]>(dialog, 'ack');
    await ua.send(ua.ackFor(invite, ok), env.peer());
    await acked;

    const destroyed = once<[unknown]>(dialog, 'destroy');
    const uaDialog = dialogAsUas(invite, ok);
    uaDialog.local = invite.get('From')!;
    uaDialog.remote = ok.get('To')!;
    uaDialog.remoteTarget = ok.contacts[0]!.uri;
    uaDialog.localSeq = invite.cseq.seq;
    await ua.send(ua.inDialog('BYE', uaDialog), env.peer());
    await destroyed;
    await ua.expectResponse(200, 'BYE');
    expect(env.engine.core.dialogs.size).toBe(0);
  });

  it('sends BYE into the dialog on dialog.destroy() and resolves on the 200', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const { dialog: dialogP } = await uasApp(env, srf);
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    const ok = await ua.expectResponse(200, 'INVITE');
    await ua.send(ua.ackFor(invite, ok), env.peer());
    const dialog = await dialogP;

    const destroyed = dialog.destroy();
    const bye = await ua.expectRequest('BYE');
    expect(bye.uri).toBe(invite.contacts[0]!.uri);
    expect(bye.from.tag).toBe(ok.to.tag);
    expect(bye.to.tag).toBe(invite.from.tag);
    expect(bye.cseq.seq).toBeGreaterThan(invite.cseq.seq);
    await ua.send(ua.respond(bye, 200, { toTag: invite.from.tag }), env.peer());
    await destroyed;
    expect(env.engine.core.dialogs.size).toBe(0);
  });

  it('answers a quick CANCEL with 200 and the INVITE with 487, tells the app, and refuses its late answer', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const cancelled = new Promise<{ late: Promise<unknown> }>((resolve) =>
      srf.invite((req, res) =>
        req.on('cancel', () =>
          resolve({
            late: new Promise((r) => res.send(486, 'Busy Here', {}, (err: unknown) => r(err))),
          }),
        ),
      ),
    );
    await routed(env, 'invite');
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    await ua.expectResponse(100);
    await ua.send(ua.cancel(invite), env.peer());
    await ua.expectResponse(200, 'CANCEL');
    const terminated = await ua.expectResponse(487, 'INVITE');
    const { late } = await cancelled;
    expect(String(await late)).toMatch(/unknown transaction/);
    await ua.send(ua.ackNon2xx(invite, terminated), env.peer());
    expect(ua.has((m) => m instanceof SipResponse && m.status === 486)).toBe(false);
  });

  it('cancels after a 180: 200 to the CANCEL, 487 to the INVITE, createUAS rejects with 487', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const outcome = new Promise<unknown>((resolve) =>
      srf.invite((req, res) => {
        res.send(180);
        req.on('cancel', () => resolve('cancel event'));
      }),
    );
    await routed(env, 'invite');
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    const ringing = await ua.expectResponse(180);
    await ua.send(ua.cancel(invite), env.peer());
    await ua.expectResponse(200, 'CANCEL');
    const terminated = await ua.expectResponse(487, 'INVITE');
    expect(terminated.to.tag).toBe(ringing.to.tag);
    expect(await outcome).toBe('cancel event');
  });

  it('retransmits the 2xx until the ACK and sends BYE with an unsolicited notice when none comes', async () => {
    await using env = await startEngineEnv({ t1Ms: 40, t2Ms: 160, t4Ms: 200 });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const { dialog: dialogP } = await uasApp(env, srf);
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    const dialog = await dialogP;
    const destroyed = once<[unknown, string]>(dialog, 'destroy');
    const bye = await ua.expectRequest('BYE');
    expect(bye.get('Reason')).toMatch(/ACK timeout/);
    const oks = ua.log.filter(
      (m) => m instanceof SipResponse && m.status === 200 && m.cseq.method === 'INVITE',
    );
    expect(oks.length).toBeGreaterThan(2);
    const [, reason] = await destroyed;
    expect(reason).toMatch(/ACK timeout/);
    await ua.send(ua.respond(bye, 200, { toTag: invite.from.tag }), env.peer());
    expect(env.engine.core.dialogs.size).toBe(0);
  });

  it('answers 503 when no app routed the method', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const invite = ua.invite(env.uri());
    await ua.send(invite, env.peer());
    const refused = await ua.expectResponse(503);
    expect(refused.reason).toMatch(/No application/);
    await ua.send(ua.ackNon2xx(invite, refused), env.peer());
  });
});
