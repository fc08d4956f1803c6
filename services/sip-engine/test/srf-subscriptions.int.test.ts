// SUBSCRIBE dialogs, NOTIFY teardown rules and the CANCEL/200 race (research §7.4, §7.7, §10.11).
import { waitFor } from '@callctl/testing';
import { routed, startEngineEnv } from './support/engine-env.js';
import { ScriptedUa, SDP_A, SDP_B } from './support/scripted-ua.js';
import { inboundCall } from './support/srf-apps.js';
import { asDialog, type SrfDialog } from './support/srf-types.js';

interface SubscribeSrf {
  subscribe(handler: (req: unknown, res: unknown) => void): void;
  createUAS(req: unknown, res: unknown, opts: object): Promise<unknown>;
}

describe('SUBSCRIBE dialogs', () => {
  it('establishes a subscription with 202, carries NOTIFYs and ends it with NOTIFY terminated', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const app = srf as unknown as SubscribeSrf;
    const dialogP = new Promise<SrfDialog>((resolve, reject) =>
      app.subscribe((req, res) =>
        app.createUAS(req, res, { headers: { Expires: '60' } }).then((d) => resolve(asDialog(d)), reject),
      ),
    );
    await routed(env, 'subscribe');
    const subscribe = ua.request('SUBSCRIBE', env.uri(), {
      headers: [
        ['Event', 'presence'],
        ['Expires', '60'],
      ],
    });
    await ua.send(subscribe, env.peer());
    const accepted = await ua.expectResponse(202, 'SUBSCRIBE');
    expect(accepted.contacts).toHaveLength(1);
    const dialog = await dialogP;
    expect(dialog.id).toBe(`${subscribe.callId};from-tag=${subscribe.from.tag}`);

    const notified = dialog.request({
      method: 'NOTIFY',
      headers: { Event: 'presence', 'Subscription-State': 'active;expires=60' },
    });
    const notify = await ua.expectRequest('NOTIFY');
    expect(notify.to.tag).toBe(subscribe.from.tag);
    await ua.send(ua.respond(notify, 200), env.peer());
    expect((await notified).status).toBe(200);

    const ended = dialog.destroy();
    const last = await ua.expectRequest('NOTIFY');
    expect(last.get('Subscription-State')).toMatch(/^terminated/);
    await ua.send(ua.respond(last, 200), env.peer());
    await ended;
    await waitFor('subscription gone', () => env.engine.core.dialogs.size === 0);
  });

  it('keeps the INVITE dialog when a REFER subscription NOTIFY says terminated', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua);
    const notify = ua.inDialog('NOTIFY', call.ua, {
      headers: [
        ['Event', 'refer'],
        ['Subscription-State', 'terminated;reason=noresource'],
      ],
    });
    await ua.send(notify, env.peer());
    await ua.expectResponse(200, 'NOTIFY');
    expect(env.engine.core.dialogs.size).toBe(1);
    await ua.send(ua.inDialog('INFO', call.ua), env.peer());
    await ua.expectResponse(200, 'INFO');
  });
});

describe('CANCEL/200 race on an app INVITE', () => {
  it('lets the app ACK the late 200 and then sends BYE itself, telling the app', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start('udp');
    const srf = await env.app();
    const sent = new Promise<{ cancel(): void }>((resolve) => {
      void srf
        .createUAC(ua.uri, { localSdp: SDP_A }, {
          cbRequest: (_e: unknown, req: { cancel(): void }) => resolve(req),
        } as never)
        .then(
          (d) => asDialog(d).once('destroy', () => undefined),
          () => undefined,
        );
    });
    const invite = await ua.expectRequest('INVITE');
    await ua.send(ua.respond(invite, 180), env.peer());
    (await sent).cancel();
    const cancel = await ua.expectRequest('CANCEL');
    // the callee answered before it saw the CANCEL
    const ok = ua.respond(invite, 200, { body: SDP_B });
    await ua.send(ok, env.peer());
    await ua.send(ua.respond(cancel, 200), env.peer());
    const ack = await ua.expectRequest('ACK');
    expect(ack.cseq.seq).toBe(invite.cseq.seq);
    const bye = await ua.expectRequest('BYE');
    expect(bye.get('Reason')).toMatch(/cancel race/);
    await ua.send(ua.respond(bye, 200), env.peer());
    await waitFor('dialog gone', () => env.engine.core.dialogs.size === 0);
  });
});
