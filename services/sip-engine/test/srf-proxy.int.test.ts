// srf.proxyRequest through the engine (research §3.6, §7.9, §11.3 item 16).
import type { SipRequest } from '@callctl/sip';
import { routed, startEngineEnv } from './support/engine-env.js';
import { dialogAsUac, ScriptedUa, SDP_B } from './support/scripted-ua.js';

interface ProxyResult {
  connected: boolean;
  finalStatus: number;
  responses: Array<{ address: string; port: number; msgs: unknown[] }>;
}

interface ProxySrf {
  proxyRequest(req: unknown, dest: string | string[], opts: object): Promise<ProxyResult>;
}

function proxyApp(srf: unknown, dests: () => string[], opts: object): Promise<ProxyResult> {
  const app = srf as ProxySrf & { invite(fn: (req: unknown) => void): void };
  return new Promise((resolve, reject) =>
    app.invite((req) => app.proxyRequest(req, dests(), opts).then(resolve, reject)),
  );
}

describe('srf proxyRequest', () => {
  it('relays a call with record-route and loose-routes the ACK and BYE through the engine', async () => {
    await using env = await startEngineEnv();
    await using caller = await ScriptedUa.start('udp');
    await using callee = await ScriptedUa.start('udp');
    const srf = await env.app();
    const result = proxyApp(srf, () => [`sip:127.0.0.1:${callee.transport.local.port}`], {
      recordRoute: true,
    });
    await routed(env, 'invite');
    const invite = caller.invite(env.uri());
    await caller.send(invite, env.peer());
    const forwarded = await callee.expectRequest('INVITE');
    expect(forwarded.vias).toHaveLength(2);
    expect(forwarded.get('Max-Forwards')).toBe('69');
    expect(forwarded.uri).toBe(`sip:127.0.0.1:${callee.transport.local.port}`);
    expect(forwarded.getAll('Record-Route')).toEqual([`<sip:127.0.0.1:${env.peer().port};lr>`]);
    await callee.reply(forwarded, callee.respond(forwarded, 180));
    const ringing = await caller.expectResponse(180);
    expect(ringing.vias).toHaveLength(1);
    await callee.reply(forwarded, callee.respond(forwarded, 200, { body: SDP_B }));
    const ok = await caller.expectResponse(200, 'INVITE');
    expect(ok.getAll('Record-Route')).toHaveLength(1);
    const outcome = await result;
    expect(outcome.connected).toBe(true);
    expect(outcome.finalStatus).toBe(200);

    const dialog = dialogAsUac(invite, ok);
    // Caller → engine (Route) → callee for the ACK and the BYE.
    await caller.send(caller.inDialog('ACK', dialog, { seq: invite.cseq.seq }), env.peer());
    const ack = await callee.expectRequest('ACK');
    expect(ack.has('Route')).toBe(false);
    await caller.send(caller.inDialog('BYE', dialog), env.peer());
    const bye = (await callee.expectRequest('BYE')) as SipRequest;
    await callee.reply(bye, callee.respond(bye, 200));
    const byeOk = await caller.expectResponse(200, 'BYE');
    expect(byeOk.vias).toHaveLength(1);
  });

  it('fails over to the next destination and reports every final response', async () => {
    await using env = await startEngineEnv();
    await using caller = await ScriptedUa.start('udp');
    await using first = await ScriptedUa.start('udp');
    await using second = await ScriptedUa.start('udp');
    const srf = await env.app();
    const result = proxyApp(
      srf,
      () => [`sip:127.0.0.1:${first.transport.local.port}`, `sip:127.0.0.1:${second.transport.local.port}`],
      {},
    );
    await routed(env, 'invite');
    const invite = caller.invite(env.uri());
    await caller.send(invite, env.peer());
    const one = await first.expectRequest('INVITE');
    await first.reply(one, first.respond(one, 503));
    await first.expectRequest('ACK');
    const two = await second.expectRequest('INVITE');
    await second.reply(two, second.respond(two, 486));
    await second.expectRequest('ACK');
    const busy = await caller.expectResponse(486);
    await caller.send(caller.ackNon2xx(invite, busy), env.peer());
    const outcome = await result;
    expect(outcome.connected).toBe(false);
    expect(outcome.finalStatus).toBe(486);
    expect(outcome.responses.flatMap((r) => r.msgs)).toHaveLength(2);
  });

  it('answers 487 to a caller CANCEL and cancels the branch', async () => {
    await using env = await startEngineEnv();
    await using caller = await ScriptedUa.start('udp');
    await using callee = await ScriptedUa.start('udp');
    const srf = await env.app();
    void proxyApp(srf, () => [`sip:127.0.0.1:${callee.transport.local.port}`], {}).catch(() => undefined);
    await routed(env, 'invite');
    const invite = caller.invite(env.uri());
    await caller.send(invite, env.peer());
    const forwarded = await callee.expectRequest('INVITE');
    await callee.reply(forwarded, callee.respond(forwarded, 180));
    await caller.expectResponse(180);
    await caller.send(caller.cancel(invite), env.peer());
    await caller.expectResponse(200, 'CANCEL');
    await caller.expectResponse(487, 'INVITE');
    const cancel = await callee.expectRequest('CANCEL');
    await callee.reply(cancel, callee.respond(cancel, 200));
    await callee.reply(forwarded, callee.respond(forwarded, 487));
    const ack = await callee.expectRequest('ACK');
    expect(ack.topVia.branch).toBe(forwarded.topVia.branch);
  });

  it('forks simultaneously and connects the branch that answers, cancelling the other', async () => {
    await using env = await startEngineEnv();
    await using caller = await ScriptedUa.start('udp');
    await using slow = await ScriptedUa.start('udp');
    await using fast = await ScriptedUa.start('udp');
    const srf = await env.app();
    const result = proxyApp(
      srf,
      () => [`sip:127.0.0.1:${slow.transport.local.port}`, `sip:127.0.0.1:${fast.transport.local.port}`],
      { forking: 'simultaneous' },
    );
    await routed(env, 'invite');
    await caller.send(caller.invite(env.uri()), env.peer());
    const ringing = await slow.expectRequest('INVITE');
    const answering = await fast.expectRequest('INVITE');
    await slow.reply(ringing, slow.respond(ringing, 180));
    await fast.reply(answering, fast.respond(answering, 200, { body: SDP_B }));
    await caller.expectResponse(200, 'INVITE');
    const cancel = await slow.expectRequest('CANCEL');
    expect(cancel.topVia.branch).toBe(ringing.topVia.branch);
    expect((await result).finalStatus).toBe(200);
  });

  it('follows a 3xx to the Contact it names when asked to', async () => {
    await using env = await startEngineEnv();
    await using caller = await ScriptedUa.start('udp');
    await using redirector = await ScriptedUa.start('udp');
    await using target = await ScriptedUa.start('udp');
    const srf = await env.app();
    const result = proxyApp(srf, () => [`sip:127.0.0.1:${redirector.transport.local.port}`], {
      followRedirects: true,
    });
    await routed(env, 'invite');
    const invite = caller.invite(env.uri());
    await caller.send(invite, env.peer());
    const first = await redirector.expectRequest('INVITE');
    await redirector.reply(
      first,
      redirector.respond(first, 302, {
        headers: [['Contact', `<sip:moved@127.0.0.1:${target.transport.local.port}>`]],
      }),
    );
    const moved = await target.expectRequest('INVITE');
    // the Request-URI named us, so each target's URI replaces it (research §7.9)
    expect(moved.uri).toBe(`sip:moved@127.0.0.1:${target.transport.local.port}`);
    await target.reply(moved, target.respond(moved, 486));
    const busy = await caller.expectResponse(486);
    await caller.send(caller.ackNon2xx(invite, busy), env.peer());
    expect((await result).finalStatus).toBe(486);
  });

  it('moves on to the next destination when one has not answered within provisionalTimeout', async () => {
    await using env = await startEngineEnv();
    await using caller = await ScriptedUa.start('udp');
    await using silent = await ScriptedUa.start('udp');
    await using answering = await ScriptedUa.start('udp');
    const srf = await env.app();
    const result = proxyApp(
      srf,
      () => [
        `sip:127.0.0.1:${silent.transport.local.port}`,
        `sip:127.0.0.1:${answering.transport.local.port}`,
      ],
      { provisionalTimeout: '200ms' },
    );
    await routed(env, 'invite');
    await caller.send(caller.invite(env.uri()), env.peer());
    await silent.expectRequest('INVITE');
    const second = await answering.expectRequest('INVITE');
    await answering.reply(second, answering.respond(second, 200, { body: SDP_B }));
    await caller.expectResponse(200, 'INVITE');
    expect((await result).finalStatus).toBe(200);
  });
});

describe('srf proxyRequest of a REGISTER', () => {
  it('adds Path and Require: path instead of Record-Route when asked to stay on the path', async () => {
    await using env = await startEngineEnv();
    await using phone = await ScriptedUa.start('udp');
    await using registrar = await ScriptedUa.start('udp');
    const srf = (await env.app()) as unknown as ProxySrf & { register(fn: (req: unknown) => void): void };
    const result = new Promise<ProxyResult>((resolve, reject) =>
      srf.register((req) =>
        srf
          .proxyRequest(req, [`sip:127.0.0.1:${registrar.transport.local.port}`], { path: true })
          .then(resolve, reject),
      ),
    );
    await routed(env, 'register');
    await phone.send(phone.request('REGISTER', env.uri(), { headers: [['Expires', '60']] }), env.peer());
    const register = await registrar.expectRequest('REGISTER');
    expect(register.get('Path')).toBe(`<sip:127.0.0.1:${env.peer().port};lr>`);
    expect(register.get('Require')).toBe('path');
    expect(register.has('Record-Route')).toBe(false);
    await registrar.reply(register, registrar.respond(register, 200));
    await phone.expectResponse(200, 'REGISTER');
    expect((await result).finalStatus).toBe(200);
  });
});
