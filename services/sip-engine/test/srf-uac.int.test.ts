// drachtio-srf placing calls to a scripted SIP peer (research §11.3 items 8-10, 15).
import { createHash } from 'node:crypto';
import { SipRequest } from '@callctl/sip';
import { waitFor } from '@callctl/testing';
import { routed, startEngineEnv } from './support/engine-env.js';
import { dialogAsUac, ScriptedUa, SDP_A, SDP_B } from './support/scripted-ua.js';
import { asDialog, type SrfDialog } from './support/srf-types.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

interface UacOptions {
  localSdp?: string;
  auth?: { username: string; password: string };
}

describe('srf createUAC over UDP', () => {
  it('sends the INVITE with engine-made Via/From tag/Call-ID/CSeq/Contact, ACKs the 200 through the app and BYEs on destroy', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const dialogP = srf.createUAC(ua.uri, { localSdp: SDP_A, callingNumber: '15551230000' } as never);
    const invite = await ua.expectRequest('INVITE');
    expect(invite.topVia.branch).toMatch(/^z9hG4bK/);
    expect(invite.topVia.rport).toBeNull();
    expect(invite.from.tag).toBeDefined();
    expect(invite.from.uri).toBe(`sip:15551230000@127.0.0.1:${env.peer().port}`);
    expect(invite.contacts[0]!.uri).toBe(`sip:15551230000@127.0.0.1:${env.peer().port}`);
    expect(invite.get('Max-Forwards')).toBe('70');
    expect(invite.get('Content-Type')).toBe('application/sdp');
    expect(invite.body.toString()).toBe(SDP_A);

    await ua.send(ua.respond(invite, 100), env.peer());
    await ua.send(ua.respond(invite, 180), env.peer());
    const ok = ua.respond(invite, 200, { body: SDP_B });
    await ua.send(ok, env.peer());
    const dialog = asDialog(await dialogP);
    expect(dialog.id).toBe(`${invite.callId};from-tag=${invite.from.tag}`);
    expect(dialog.remote.sdp).toBe(SDP_B);

    const ack = await ua.expectRequest('ACK');
    expect(ack.uri).toBe(ua.uri);
    expect(ack.cseq.seq).toBe(invite.cseq.seq);
    expect(ack.topVia.branch).not.toBe(invite.topVia.branch);
    expect(ack.to.tag).toBe('ua-tag');

    // A retransmitted 2xx is answered with the same ACK by the engine.
    await ua.send(ok, env.peer());
    const again = await ua.expectRequest('ACK');
    expect(again.topVia.branch).toBe(ack.topVia.branch);

    const destroyed = dialog.destroy();
    const bye = await ua.expectRequest('BYE');
    expect(bye.cseq.seq).toBe(invite.cseq.seq + 1);
    expect(bye.to.tag).toBe('ua-tag');
    await ua.send(ua.respond(bye, 200), env.peer());
    await destroyed;
    expect(env.engine.core.dialogs.size).toBe(0);
  });

  it('ACKs a 486 itself and rejects createUAC with the status', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const outcome = srf.createUAC(ua.uri, { localSdp: SDP_A }).then(
      () => 'connected',
      (err: { status?: number }) => err.status,
    );
    const invite = await ua.expectRequest('INVITE');
    const busy = ua.respond(invite, 486);
    await ua.send(busy, env.peer());
    const ack = await ua.expectRequest('ACK');
    expect(ack.topVia.branch).toBe(invite.topVia.branch);
    expect(ack.to.tag).toBe('ua-tag');
    expect(await outcome).toBe(486);
    // A retransmitted 486 is ACKed again, without the app hearing of it.
    await ua.send(busy, env.peer());
    await ua.expectRequest('ACK');
  });

  it.each([
    [401, 'WWW-Authenticate', 'Authorization'],
    [407, 'Proxy-Authenticate', 'Proxy-Authorization'],
  ] as const)(
    'retries a %i-challenged INVITE with digest credentials (same Call-ID and From tag, CSeq+1)',
    async (status, challengeHeader, answerHeader) => {
      await using env = await startEngineEnv();
      await using ua = await ScriptedUa.start('udp');
      const srf = await env.app();
      const options: UacOptions = { localSdp: SDP_A, auth: { username: 'alice', password: 'secret' } };
      const dialogP = srf.createUAC(ua.uri, options as never);
      const first = await ua.expectRequest('INVITE');
      const challenge = ua.respond(first, status, {
        headers: [[challengeHeader, 'Digest realm="callctl", nonce="n0nce", algorithm=MD5']],
      });
      await ua.send(challenge, env.peer());
      await ua.expectRequest('ACK');
      const second = await ua.expectRequest('INVITE');
      expect(second.callId).toBe(first.callId);
      expect(second.from.tag).toBe(first.from.tag);
      expect(second.cseq.seq).toBe(first.cseq.seq + 1);
      const authorization = second.get(answerHeader)!;
      const param = (name: string) => new RegExp(`${name}="?([^",]+)"?`).exec(authorization)?.[1];
      const expected = md5(`${md5('alice:callctl:secret')}:n0nce:${md5(`INVITE:${param('uri')}`)}`);
      expect(param('response')).toBe(expected);
      const ok = ua.respond(second, 200, { body: SDP_B });
      await ua.send(ok, env.peer());
      const dialog = asDialog(await dialogP);
      await ua.expectRequest('ACK');
      void dialog.destroy();
      const bye = await ua.expectRequest('BYE');
      await ua.send(ua.respond(bye, 200), env.peer());
    },
  );

  it('holds the CANCEL of req.cancel() until a provisional arrives, then gets 487 and rejects', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const outcome = srf
      .createUAC(ua.uri, { localSdp: SDP_A }, {
        cbRequest: (_err: unknown, req: { cancel(): void }) => req.cancel(),
      } as never)
      .then(
        () => 'connected',
        (err: { status?: number }) => err.status,
      );
    const invite = await ua.expectRequest('INVITE');
    // No provisional yet: the CANCEL must wait (RFC 3261 9.1).
    await new Promise((r) => setTimeout(r, 100));
    expect(ua.has((m) => m instanceof SipRequest && m.method === 'CANCEL')).toBe(false);
    await ua.send(ua.respond(invite, 180), env.peer());
    const cancel = await ua.expectRequest('CANCEL');
    expect(cancel.topVia.branch).toBe(invite.topVia.branch);
    expect(cancel.cseq.seq).toBe(invite.cseq.seq);
    expect(cancel.to.tag).toBeUndefined();
    await ua.send(ua.respond(cancel, 200), env.peer());
    await ua.send(ua.respond(invite, 487), env.peer());
    await ua.expectRequest('ACK');
    expect(await outcome).toBe(487);
  });

  it('delivers a local 408 when the peer never answers', async () => {
    await using env = await startEngineEnv({ t1Ms: 20, t2Ms: 80, t4Ms: 100 });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const outcome = srf.createUAC(ua.uri, { localSdp: SDP_A }).then(
      () => 'connected',
      (err: { status?: number }) => err.status,
    );
    expect(await outcome).toBe(408);
    const invites = ua.log.filter((m) => m instanceof SipRequest && m.method === 'INVITE');
    expect(invites.length).toBeGreaterThan(2);
  });

  it('refuses a request to the engine itself', async () => {
    await using env = await startEngineEnv();
    const srf = await env.app();
    const outcome = await srf.createUAC(env.uri(), { localSdp: SDP_A }).then(
      () => 'sent',
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/can not send request to myself/);
  });
});

describe('srf createB2BUA between two SIP peers', () => {
  it('bridges caller and callee, relays the 180, ACKs both sides and propagates the BYE', async () => {
    await using env = await startEngineEnv();
    await using caller = await ScriptedUa.start('udp');
    await using callee = await ScriptedUa.start('udp');
    const srf = await env.app();
    const bridged = new Promise<{ uas: SrfDialog; uac: SrfDialog }>((resolve, reject) =>
      srf.invite((req, res) =>
        srf.createB2BUA(req, res, callee.uri, { localSdpB: SDP_B } as never).then(({ uas, uac }) => {
          // the app joins the two legs' lifetimes (srf leaves that to it)
          uas.on('destroy', () => void uac.destroy());
          uac.on('destroy', () => void uas.destroy());
          resolve({ uas: asDialog(uas), uac: asDialog(uac) });
        }, reject),
      ),
    );
    await routed(env, 'invite');
    const invite = caller.invite(env.uri());
    await caller.send(invite, env.peer());
    await caller.expectResponse(100);
    const bInvite = await callee.expectRequest('INVITE');
    expect(bInvite.callId).not.toBe(invite.callId);
    await callee.send(callee.respond(bInvite, 180), env.peer());
    await caller.expectResponse(180);
    const bOk = callee.respond(bInvite, 200, { body: SDP_B });
    await callee.send(bOk, env.peer());
    const aOk = await caller.expectResponse(200, 'INVITE');
    expect(aOk.body.toString()).toBe(SDP_B);
    await callee.expectRequest('ACK');
    await caller.send(caller.ackFor(invite, aOk), env.peer());
    const { uas } = await bridged;

    // the caller hangs up: srf's B2BUA ends the B leg
    const aDialog = dialogAsUac(invite, aOk);
    await caller.send(caller.inDialog('BYE', aDialog), env.peer());
    await caller.expectResponse(200, 'BYE');
    const bBye = await callee.expectRequest('BYE');
    await callee.send(callee.respond(bBye, 200), env.peer());
    expect(uas.id).toBe(`${invite.callId};from-tag=${invite.from.tag}`);
    await waitFor('both dialogs gone', () => env.engine.core.dialogs.size === 0);
  });

  it('propagates a callee failure to the caller', async () => {
    await using env = await startEngineEnv();
    await using caller = await ScriptedUa.start('udp');
    await using callee = await ScriptedUa.start('udp');
    const srf = await env.app();
    srf.invite((req, res) => srf.createB2BUA(req, res, callee.uri, {}).catch(() => undefined));
    await routed(env, 'invite');
    const invite = caller.invite(env.uri());
    await caller.send(invite, env.peer());
    const bInvite = await callee.expectRequest('INVITE');
    await callee.send(callee.respond(bInvite, 486), env.peer());
    await callee.expectRequest('ACK');
    const busy = await caller.expectResponse(486, 'INVITE');
    await caller.send(caller.ackNon2xx(invite, busy), env.peer());
  });

  it('turns a caller CANCEL into a CANCEL of the B leg', async () => {
    await using env = await startEngineEnv();
    await using caller = await ScriptedUa.start('udp');
    await using callee = await ScriptedUa.start('udp');
    const srf = await env.app();
    srf.invite((req, res) => srf.createB2BUA(req, res, callee.uri, {}).catch(() => undefined));
    await routed(env, 'invite');
    const invite = caller.invite(env.uri());
    await caller.send(invite, env.peer());
    const bInvite = await callee.expectRequest('INVITE');
    await callee.send(callee.respond(bInvite, 180), env.peer());
    await caller.expectResponse(180);
    await caller.send(caller.cancel(invite), env.peer());
    await caller.expectResponse(200, 'CANCEL');
    await caller.expectResponse(487, 'INVITE');
    const bCancel = await callee.expectRequest('CANCEL');
    await callee.send(callee.respond(bCancel, 200), env.peer());
    await callee.send(callee.respond(bInvite, 487), env.peer());
    await callee.expectRequest('ACK');
  });
});

describe('srf createUAC timeouts and transport failures', () => {
  it('CANCELs an INVITE left ringing past Timer C and reports 408 when even that gets no answer', async () => {
    await using env = await startEngineEnv({ t1Ms: 20, t2Ms: 80, t4Ms: 100 }, { timerCMs: 300 });
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const outcome = srf.createUAC(ua.uri, { localSdp: SDP_A }).then(
      () => 0,
      (err: { status: number }) => err.status,
    );
    const invite = await ua.expectRequest('INVITE');
    await ua.send(ua.respond(invite, 180), env.peer());
    const cancel = await ua.expectRequest('CANCEL');
    expect(cancel.get('Reason')).toMatch(/Timer C/);
    expect(await outcome).toBe(408);
    await waitFor('transactions gone', () => env.engine.core.stats.appInvites === 0);
  });

  it('reports 503 when the TCP target refuses the connection', async () => {
    await using env = await startEngineEnv();
    const closed = await ScriptedUa.start('tcp');
    const uri = closed.uri;
    await closed.close();
    const srf = await env.app();
    const outcome = await srf.createUAC(uri, { localSdp: SDP_A }).then(
      () => 0,
      (err: { status: number }) => err.status,
    );
    expect(outcome).toBe(503);
  });
});

describe('forked answers to an app INVITE', () => {
  it('keeps the first 2xx as the dialog and ACKs and BYEs a second fork’s 2xx itself', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const dialogP = srf.createUAC(ua.uri, { localSdp: SDP_A });
    const invite = await ua.expectRequest('INVITE');
    await ua.send(ua.respond(invite, 200, { body: SDP_B, toTag: 'fork-a' }), env.peer());
    const dialog = asDialog(await dialogP);
    expect(dialog.sip.remoteTag).toBe('fork-a');
    await ua.expectRequest('ACK');
    const second = ua.respond(invite, 200, { body: SDP_B, toTag: 'fork-b' });
    await ua.send(second, env.peer());
    const ack = await ua.expectRequest('ACK');
    expect(ack.to.tag).toBe('fork-b');
    const bye = await ua.expectRequest('BYE');
    expect(bye.to.tag).toBe('fork-b');
    await ua.send(ua.respond(bye, 200), env.peer());
    // a retransmission of the second fork's 2xx is ACKed again, not BYEd again
    await ua.send(second, env.peer());
    expect((await ua.expectRequest('ACK')).to.tag).toBe('fork-b');
    await ua.send(ua.request('OPTIONS', env.uri()), env.peer()); // a round trip: anything sent before is in
    await ua.expectResponse(503, 'OPTIONS');
    expect(ua.has((m) => m instanceof SipRequest && m.method === 'BYE')).toBe(false);
    expect(env.engine.core.dialogs.size).toBe(1);
  });
});
