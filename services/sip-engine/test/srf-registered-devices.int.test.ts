// What a registrar app (sip-edge) and calls to registered devices need from the engine, with drachtio-srf
// as the app and a scripted phone: REGISTER reaches the app that routed it with the packet's source
// (received/rport, RFC 3581); a call placed to the device's Contact through its registered flow (srf
// `proxy`) reaches it over that flow (over TCP: the device's own connection, which the engine cannot dial);
// and the dialog keeps to the flow even though the Contact names an address behind NAT. The "private"
// Contact is 127.0.0.99:5999, where nothing listens: loopback only, and a request sent there is lost.
import { buildResponse, type SipRequest } from '@callctl/sip';
import { startSipp } from '@callctl/testing';
import { scenario } from './harness/engine-process.js';
import { expectSippPassed } from './harness/sipp-expect.js';
import { routed, startEngineEnv, type EngineEnv } from './support/engine-env.js';
import { registrar } from './support/registrar-app.js';
import { ScriptedUa, SDP_A, SDP_B } from './support/scripted-ua.js';
import { asDialog } from './support/srf-types.js';

const PRIVATE_CONTACT = 'sip:alice@127.0.0.99:5999';

/** The phone registers `contact` (its private address) over its transport; returns the 200. */
async function registerPhone(env: EngineEnv, ua: ScriptedUa, contact: string, expires = 60) {
  const protocol = ua.protocol as 'udp' | 'tcp';
  const register = ua.request('REGISTER', `sip:127.0.0.1:${env.peer(protocol).port}`, {
    headers: [['Expires', String(expires)]],
  });
  register.set('Contact', `<${contact}>`);
  await ua.send(register, env.peer(protocol));
  return ua.expectResponse(200, 'REGISTER');
}

/** A 200 to an INVITE whose Contact is the phone's private address. */
function answerFromBehindNat(invite: SipRequest, contact: string) {
  return buildResponse(invite, 200, 'OK', {
    toTag: 'phone-tag',
    headers: [['Contact', `<${contact}>`]],
    body: Buffer.from(SDP_B),
    contentType: 'application/sdp',
  });
}

describe.each(['udp', 'tcp'] as const)('a phone registered over %s', (protocol) => {
  const contact = protocol === 'tcp' ? `${PRIVATE_CONTACT};transport=tcp` : PRIVATE_CONTACT;

  it('has its REGISTER delivered to the registrar app with the packet source, and received/rport in Via', async () => {
    await using env = await startEngineEnv();
    await using phone = await ScriptedUa.start(protocol);
    const registration = await registrar(env);
    const ok = await registerPhone(env, phone, contact);
    expect(ok.contacts[0]!.uri).toBe(contact);
    const seen = await registration.first;
    // Over TCP the source port is the phone's side of its connection, not the port it listens on.
    const sourcePort = protocol === 'udp' ? phone.transport.local.port : ok.topVia.rport;
    expect(seen).toMatchObject({ source_address: '127.0.0.1', protocol, source_port: sourcePort });
    expect(seen.via).toContain(`received=127.0.0.1`);
    expect(seen.via).toContain(`rport=${seen.source_port}`);
  });

  it('has a REGISTER to a domain, routed through the engine as its outbound proxy (a preloaded Route), delivered to the app', async () => {
    await using env = await startEngineEnv();
    await using phone = await ScriptedUa.start(protocol);
    const registration = await registrar(env);
    const peer = env.peer(protocol);
    // As baresip with `outbound` sends it: the Request-URI is the domain, the engine only its Route.
    const register = phone.request('REGISTER', 'sip:pbx.example.test', { headers: [['Expires', '60']] });
    register.set('Contact', `<${contact}>`);
    register.set('Route', `<sip:127.0.0.1:${peer.port};lr${protocol === 'tcp' ? ';transport=tcp' : ''}>`);
    await phone.send(register, peer);
    await phone.expectResponse(200, 'REGISTER');
    expect(await registration.first).toMatchObject({ source_address: '127.0.0.1', protocol });
  });

  it('is reached through its registered flow (srf proxy) and the dialog keeps to it, not to its private Contact', async () => {
    await using env = await startEngineEnv();
    await using phone = await ScriptedUa.start(protocol);
    const registration = await registrar(env);
    await registerPhone(env, phone, contact);
    const flow = await registration.first;
    const srf = await env.app();

    const proxy = `sip:${flow.source_address}:${flow.source_port}${protocol === 'tcp' ? ';transport=tcp' : ''}`;
    const dialogP = srf.createUAC(contact, { localSdp: SDP_A, proxy } as never);
    const invite = await phone.expectRequest('INVITE');
    expect(invite.uri).toBe(contact);
    if (protocol === 'tcp') {
      // Nothing listens on the phone's side of its connection: the INVITE came over the connection it opened.
      expect(flow.source_port).not.toBe(phone.transport.local.port);
    }
    await phone.reply(invite, answerFromBehindNat(invite, contact));
    const dialog = asDialog(await dialogP);
    const ack = await phone.expectRequest('ACK');
    expect(ack.uri).toBe(contact);

    const destroyed = dialog.destroy();
    const bye = await phone.expectRequest('BYE');
    await phone.reply(bye, phone.respond(bye, 200));
    await destroyed;
    expect(env.engine.core.dialogs.size).toBe(0);
  });
});

describe('a phone registered over TCP, called by an app that names no flow', () => {
  const contact = `${PRIVATE_CONTACT};transport=tcp`;

  it('is reached over its own connection (drachtio per-contact cache) until it un-registers', async () => {
    await using env = await startEngineEnv();
    await using phone = await ScriptedUa.start('tcp');
    await registrar(env);
    await registerPhone(env, phone, contact);
    const srf = await env.app();

    const dialogP = srf.createUAC(contact, { localSdp: SDP_A } as never);
    const invite = await phone.expectRequest('INVITE');
    await phone.reply(invite, answerFromBehindNat(invite, contact));
    const dialog = asDialog(await dialogP);
    await phone.expectRequest('ACK');
    const destroyed = dialog.destroy();
    const bye = await phone.expectRequest('BYE');
    await phone.reply(bye, phone.respond(bye, 200));
    await destroyed;

    await registerPhone(env, phone, contact, 0);
    expect(env.engine.core.stats.registeredFlows).toBe(0);
    // Now the Contact is all there is: 127.0.0.99:5999 refuses the connection.
    const status = await srf.createUAC(contact, { localSdp: SDP_A } as never).then(
      () => 200,
      (err: { status?: number }) => err.status,
    );
    expect(status).toBe(503);
  });
});

describe('a phone behind NAT calling in over UDP', () => {
  it('gets the BYE at its source, though its Contact is private', async () => {
    await using env = await startEngineEnv();
    await using phone = await ScriptedUa.start('udp');
    const srf = await env.app();
    const dialogP = new Promise<ReturnType<typeof asDialog>>((resolve) =>
      srf.invite((req, res) => {
        void srf.createUAS(req, res, { localSdp: SDP_B }).then((d) => resolve(asDialog(d)));
      }),
    );
    await routed(env, 'invite');
    const invite = phone.invite(env.uri());
    invite.set('Contact', `<${PRIVATE_CONTACT}>`);
    await phone.send(invite, env.peer());
    const ok = await phone.expectResponse(200, 'INVITE');
    await phone.send(phone.ackFor(invite, ok), env.peer());
    const dialog = await dialogP;

    const destroyed = dialog.destroy();
    const bye = await phone.expectRequest('BYE');
    expect(bye.uri).toBe(PRIVATE_CONTACT);
    await phone.send(phone.respond(bye, 200), env.peer());
    await destroyed;
    expect(env.engine.core.dialogs.size).toBe(0);
  });
});

describe('sipp as a phone behind NAT, called through its flow', () => {
  it('gets the ACK and the BYE at the address it answered from, not at its private Contact', async () => {
    await using env = await startEngineEnv();
    const phone = await startSipp({
      scenario: scenario('uas-natted-answer-expect-bye.xml'),
      transport: 'udp',
      timeoutMs: 20_000,
    });
    try {
      const srf = await env.app();
      const dialog = asDialog(
        await srf.createUAC(PRIVATE_CONTACT, {
          localSdp: SDP_A,
          proxy: `sip:127.0.0.1:${phone.port}`,
        } as never),
      );
      await dialog.destroy();
      expectSippPassed(await phone.result, 1);
    } finally {
      await phone.stop(0);
    }
  });
});
