// In-dialog requests both ways between drachtio-srf and a scripted peer (research §11.3 item 7, glare).
import { SipRequest, SipResponse } from '@callctl/sip';
import { once, startEngineEnv } from './support/engine-env.js';
import { SDP_A } from './support/scripted-ua.js';
import { ScriptedUa } from './support/scripted-ua.js';
import { inboundCall } from './support/srf-apps.js';
import type { SrfMessage } from './support/srf-types.js';

describe('in-dialog requests from the app', () => {
  it('puts the call on hold and back with dialog.modify (re-INVITE, ACK with the re-INVITE CSeq)', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);

    const held = call.dialog.modify('hold');
    const reinvite = await ua.expectRequest('INVITE');
    expect(reinvite.to.tag).toBe(call.invite.from.tag);
    expect(reinvite.from.tag).toBe(call.ok.to.tag);
    expect(reinvite.uri).toBe(call.invite.contacts[0]!.uri);
    expect(reinvite.contacts[0]!.uri).toBe(call.ok.contacts[0]!.uri);
    expect(reinvite.body.toString()).toMatch(/a=(sendonly|inactive)/);
    await ua.send(ua.respond(reinvite, 200, { body: SDP_A.replace('sendrecv', 'recvonly') }), env.peer());
    const ack = await ua.expectRequest('ACK');
    expect(ack.cseq.seq).toBe(reinvite.cseq.seq);
    await held;

    const unheld = call.dialog.modify('unhold');
    const reinvite2 = await ua.expectRequest('INVITE');
    expect(reinvite2.cseq.seq).toBe(reinvite.cseq.seq + 1);
    expect(reinvite2.body.toString()).toMatch(/a=sendrecv/);
    await ua.send(ua.respond(reinvite2, 200, { body: SDP_A }), env.peer());
    expect((await ua.expectRequest('ACK')).cseq.seq).toBe(reinvite2.cseq.seq);
    await unheld;
  });

  it('sends INFO and REFER with dialog.request and resolves with the final response', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);

    const info = call.dialog.request({
      method: 'INFO',
      headers: { 'Content-Type': 'application/dtmf-relay' },
      body: 'Signal=5\r\nDuration=160\r\n',
    });
    const infoReq = await ua.expectRequest('INFO');
    expect(infoReq.get('Content-Type')).toBe('application/dtmf-relay');
    expect(infoReq.body.toString()).toBe('Signal=5\r\nDuration=160\r\n');
    await ua.send(ua.respond(infoReq, 200), env.peer());
    expect((await info).status).toBe(200);

    const refer = call.dialog.request({ method: 'REFER', headers: { 'Refer-To': '<sip:carol@127.0.0.1>' } });
    const referReq = await ua.expectRequest('REFER');
    expect(referReq.get('Refer-To')).toBe('<sip:carol@127.0.0.1>');
    expect(referReq.contacts).toHaveLength(1);
    expect(referReq.cseq.seq).toBe(infoReq.cseq.seq + 1);
    await ua.send(ua.respond(referReq, 202), env.peer());
    expect((await refer).status).toBe(202);
  });
});

describe('in-dialog requests from the network', () => {
  it('delivers a re-INVITE to the app as modify, with 100 Trying first and Contact in the answer', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);
    call.dialog.on('modify', (_req: SrfMessage, res: { send(s: number, o: object): void }) =>
      res.send(200, { body: call.dialog.local.sdp }),
    );
    const reinvite = ua.inDialog('INVITE', call.ua, { body: SDP_A.replace('sendrecv', 'sendonly') });
    await ua.send(reinvite, env.peer());
    await ua.expectResponse(100, 'INVITE');
    const ok = await ua.expectResponse(200, 'INVITE');
    expect(ok.contacts[0]!.uri).toBe(call.ok.contacts[0]!.uri);
    expect(ok.to.tag).toBe(call.ok.to.tag);
    const acked = once(call.dialog, 'ack');
    await ua.send(ua.inDialog('ACK', call.ua, { seq: reinvite.cseq.seq }), env.peer());
    await acked;
  });

  it('delivers INFO, NOTIFY, OPTIONS and UPDATE to the dialog and returns the app answers', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);
    const seen: string[] = [];
    for (const event of ['info', 'notify', 'options', 'update']) {
      call.dialog.on(event, (req: SrfMessage, res: { send(s: number): void }) => {
        seen.push(req.method);
        res.send(200);
      });
    }
    for (const method of ['INFO', 'NOTIFY', 'OPTIONS', 'UPDATE']) {
      const headers: Array<[string, string]> =
        method === 'NOTIFY'
          ? [
              ['Event', 'talk'],
              ['Subscription-State', 'active'],
            ]
          : [];
      await ua.send(ua.inDialog(method, call.ua, { headers }), env.peer());
      await ua.expectResponse(200, method);
    }
    expect(seen).toEqual(['INFO', 'NOTIFY', 'OPTIONS', 'UPDATE']);
  });

  it('closes a request the app left unanswered with 500 when the dialog ends', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);
    const delivered = once(call.dialog, 'info'); // a listener that never answers
    await ua.send(ua.inDialog('INFO', call.ua), env.peer());
    await delivered;
    await ua.send(ua.inDialog('BYE', call.ua), env.peer());
    const closed = await ua.expectResponse(500, 'INFO');
    expect(closed.reason).toBe('Dialog terminated');
    await ua.expectResponse(200, 'BYE');
  });

  it('answers 481 to a request for an unknown dialog', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const bye = ua.request('BYE', env.uri(), { headers: [] });
    bye.set('To', `<${env.uri()}>;tag=nobody`);
    await ua.send(bye, env.peer());
    await ua.expectResponse(481, 'BYE');
  });

  it('answers 491 to a re-INVITE that crosses the app’s own pending re-INVITE (glare)', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);
    const held = call.dialog.modify('hold');
    const ours = await ua.expectRequest('INVITE');
    const theirs = ua.inDialog('INVITE', call.ua, { body: SDP_A });
    await ua.send(theirs, env.peer());
    const pending = await ua.expectResponse(491, 'INVITE');
    expect(pending.cseq.seq).toBe(theirs.cseq.seq);
    await ua.send(ua.ackNon2xx(theirs, pending), env.peer());
    await ua.send(ua.respond(ours, 200, { body: SDP_A }), env.peer());
    await ua.expectRequest('ACK');
    await held;
    expect(ua.log.some((m) => m instanceof SipRequest && m.method === 'BYE')).toBe(false);
  });
});

describe('hanging up during a re-INVITE', () => {
  it('CANCELs the app’s pending re-INVITE before sending its BYE', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);
    void call.dialog.modify('hold').catch(() => undefined);
    const reinvite = await ua.expectRequest('INVITE');
    await ua.send(ua.respond(reinvite, 100), env.peer());
    const gone = call.dialog.destroy();
    const cancel = await ua.expectRequest('CANCEL');
    expect(cancel.topVia.branch).toBe(reinvite.topVia.branch);
    const bye = await ua.expectRequest('BYE');
    expect(ua.log.indexOf(cancel)).toBeLessThan(ua.log.indexOf(bye));
    await ua.send(ua.respond(cancel, 200), env.peer());
    await ua.send(ua.respond(reinvite, 487), env.peer());
    await ua.send(ua.respond(bye, 200), env.peer());
    await gone;
  });
});

describe('a re-INVITE the app never answers', () => {
  it('is answered 500 and does not block the next re-INVITE', async () => {
    await using env = await startEngineEnv({ t1Ms: 10, t2Ms: 40, t4Ms: 50 });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);
    let modifies = 0;
    call.dialog.on('modify', (_req: SrfMessage, res: { send(s: number, o: object): void }) => {
      if (modifies++ > 0) res.send(200, { body: call.dialog.local.sdp });
    });
    const first = ua.inDialog('INVITE', call.ua, { body: SDP_A });
    await ua.send(first, env.peer());
    const unanswered = await ua.expectResponse(500, 'INVITE');
    expect(unanswered.reason).toBe('No answer from application');
    await ua.send(ua.ackNon2xx(first, unanswered), env.peer());
    const second = ua.inDialog('INVITE', call.ua, { body: SDP_A });
    await ua.send(second, env.peer());
    // Matched by CSeq: with T1 = 10 ms the first INVITE's 200 may have been retransmitted before its ACK
    // landed, and those copies are still queued.
    const ok = await ua.expect(
      '200 to the second re-INVITE',
      (m) => m instanceof SipResponse && m.status === 200 && m.cseq.seq === second.cseq.seq,
    );
    expect(ok).toBeDefined();
  });
});

describe('after a refused re-INVITE of the app', () => {
  it('takes the peer’s re-INVITE at once (no 491 while the refused transaction lingers)', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);
    const refused = call.dialog.modify(SDP_A).catch((err: { status?: number }) => err.status);
    const ours = await ua.expectRequest('INVITE');
    const notAcceptable = ua.respond(ours, 488);
    await ua.send(notAcceptable, env.peer());
    await ua.expectRequest('ACK');
    expect(await refused).toBe(488);
    const theirs = ua.inDialog('INVITE', call.ua, { body: SDP_A });
    await ua.send(theirs, env.peer());
    expect((await ua.expectResponse(200, 'INVITE')).cseq.seq).toBe(theirs.cseq.seq);
  });
});

describe('a challenged BYE', () => {
  it('keeps the dialog after a 401 to the BYE so srf can retry it with credentials', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);
    const gone = (
      call.dialog.destroy as unknown as (opts: {
        auth: { username: string; password: string };
      }) => Promise<unknown>
    ).call(call.dialog, { auth: { username: 'edge', password: 'secret' } });
    const first = await ua.expectRequest('BYE');
    await ua.send(
      ua.respond(first, 401, { headers: [['WWW-Authenticate', 'Digest realm="callctl", nonce="n1"']] }),
      env.peer(),
    );
    const retry = await ua.expectRequest('BYE');
    expect(retry.get('Authorization')).toMatch(/^Digest .*username="edge"/);
    expect(retry.cseq.seq).toBe(first.cseq.seq + 1);
    expect(retry.to.tag).toBe(first.to.tag);
    await ua.send(ua.respond(retry, 200), env.peer());
    await gone;
    expect(env.engine.core.dialogs.size).toBe(0);
  });
});
