// The main srf call flows over UDP and over TCP (transport chosen by `;transport=tcp` / the Via).
import { waitFor } from '@callctl/testing';
import { once, routed, startEngineEnv } from './support/engine-env.js';
import { ScriptedUa, SDP_A, SDP_B } from './support/scripted-ua.js';
import { inboundCall } from './support/srf-apps.js';
import { asDialog } from './support/srf-types.js';

describe.each(['udp', 'tcp'] as const)('srf call flows over %s', (protocol) => {
  const PROTO = protocol.toUpperCase();

  it('answers an inbound call, takes a re-INVITE from the app and a BYE from the caller', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start(protocol);
    const srf = await env.app();
    const call = await inboundCall(env, srf, ua, protocol);
    expect(call.ok.topVia.transport).toBe(PROTO);
    const contact = call.ok.contacts[0]!.uri;
    expect(contact).toBe(
      `sip:127.0.0.1:${env.peer(protocol).port}${protocol === 'tcp' ? ';transport=tcp' : ''}`,
    );

    const modified = call.dialog.modify(SDP_B.replace('sendrecv', 'sendonly'));
    const reinvite = await ua.expectRequest('INVITE');
    expect(reinvite.topVia.transport).toBe(PROTO);
    await ua.reply(reinvite, ua.respond(reinvite, 200, { body: SDP_A }));
    await ua.expectRequest('ACK');
    expect(await modified).toBe(SDP_A);

    const destroyed = once(call.dialog, 'destroy');
    const bye = ua.inDialog('BYE', call.ua);
    await ua.send(bye, env.peer(protocol));
    await destroyed;
    await ua.expectResponse(200, 'BYE');
  });

  it('places a call with createUAC, has it rejected (486) and then places one that is answered and destroyed', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start(protocol);
    const srf = await env.app();
    const rejected = srf.createUAC(ua.uri, { localSdp: SDP_A }).then(
      () => 0,
      (err: { status: number }) => err.status,
    );
    const first = await ua.expectRequest('INVITE');
    expect(first.topVia.transport).toBe(PROTO);
    await ua.reply(first, ua.respond(first, 486));
    await ua.expectRequest('ACK');
    expect(await rejected).toBe(486);

    const answered = srf.createUAC(ua.uri, { localSdp: SDP_A });
    const invite = await ua.expectRequest('INVITE');
    await ua.reply(invite, ua.respond(invite, 180));
    await ua.reply(invite, ua.respond(invite, 200, { body: SDP_B }));
    const dialog = asDialog(await answered);
    await ua.expectRequest('ACK');
    const gone = dialog.destroy();
    const bye = await ua.expectRequest('BYE');
    await ua.reply(bye, ua.respond(bye, 200));
    await gone;
  });

  it('answers a caller CANCEL with 200 and 487 and tells the app', async () => {
    await using env = await startEngineEnv();
    await using ua = await ScriptedUa.start(protocol);
    const srf = await env.app();
    const cancelled = new Promise<void>((resolve) => srf.invite((req) => req.on('cancel', () => resolve())));
    await routed(env, 'invite');
    const invite = ua.invite(env.uri(protocol));
    await ua.send(invite, env.peer(protocol));
    await ua.expectResponse(100);
    await ua.send(ua.cancel(invite), env.peer(protocol));
    await ua.expectResponse(200, 'CANCEL');
    const terminated = await ua.expectResponse(487, 'INVITE');
    await ua.send(ua.ackNon2xx(invite, terminated), env.peer(protocol));
    await cancelled;
  });
});

describe('TCP dialogs', () => {
  it('falls back to the Contact when the connection the call came on has closed', async () => {
    await using env = await startEngineEnv();
    const first = await ScriptedUa.start('tcp');
    const srf = await env.app();
    const call = await inboundCall(env, srf, first, 'tcp');
    const port = first.transport.local.port;
    const tcp = env.engine.transports.find((t) => t.protocol === 'tcp')!;
    const origin = { address: '127.0.0.1', port: call.ok.topVia.rport as number };
    await first.close();
    await waitFor('connection gone', () => tcp.isConnected?.(origin) === false || undefined);
    // The same phone, listening again at its Contact address.
    await using again = await ScriptedUa.start('tcp', port);
    const destroyed = call.dialog.destroy();
    const bye = await again.expectRequest('BYE');
    expect(bye.topVia.transport).toBe('TCP');
    await again.reply(bye, again.respond(bye, 200));
    await destroyed;
  });
});
