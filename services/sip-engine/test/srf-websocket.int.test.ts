// SIP over WebSocket through the whole engine with drachtio-srf as the app, as sip-edge uses it: a browser
// (a scripted phone over the real `ws` client) registers over WS or WSS; the app is told the transport
// (`ws`/`wss`) and the packet source (received/rport); the app's call to the registered Contact, a
// `.invalid` host nobody can resolve, goes over the browser's own connection (RFC 7118 §5: only the
// connection reaches it) with the engine's Via and Contact naming the WebSocket transport.
import { readFileSync } from 'node:fs';
import { makeCertificateAuthority, type TestCertificateAuthority } from '@callctl/testing';
import { startEngineEnv, type EngineEnv } from './support/engine-env.js';
import { registrar } from './support/registrar-app.js';
import { ScriptedUa, SDP_A, SDP_B } from './support/scripted-ua.js';
import { asDialog } from './support/srf-types.js';

let ca: TestCertificateAuthority;
beforeAll(() => {
  ca = makeCertificateAuthority();
});
afterAll(() => ca.remove());

function startWsEngine(): Promise<EngineEnv> {
  const leaf = ca.issue('127.0.0.1');
  return startEngineEnv(undefined, {
    ws: [{ host: '127.0.0.1', port: 0 }],
    wss: [{ host: '127.0.0.1', port: 0 }],
    tlsCredentials: { ...leaf, minVersion: 'TLSv1.2', verifyClientCert: false, verifyServerCert: true },
  });
}

describe.each(['ws', 'wss'] as const)('a browser registered over %s', (protocol) => {
  // What sip.js and JsSIP put in Contact: a random `.invalid` host (RFC 7118 §5.2).
  const contact = `sip:alice@df7jal23ls0d.invalid;transport=${protocol}`;

  it('registers, and is called over its own connection with WebSocket Via and Contact', async () => {
    await using env = await startWsEngine();
    expect(env.engine.hostports).toContain(`${protocol}/127.0.0.1:${env.peer(protocol).port}`);
    await using phone = await ScriptedUa.connectWs(protocol, env.peer(protocol), {
      ca: readFileSync(ca.caFile),
    });
    const seen = await registrar(env);
    const register = phone.request('REGISTER', 'sip:example.test', { headers: [['Expires', '300']] });
    register.set('Via', `SIP/2.0/${protocol.toUpperCase()} df7jal23ls0d.invalid;branch=z9hG4bK-reg1`);
    register.set('Contact', `<${contact}>`);
    await phone.send(register, env.peer(protocol));
    const ok = await phone.expectResponse(200, 'REGISTER');
    expect(ok.contacts[0]!.uri).toBe(contact);
    const registration = await seen.first;
    expect(registration).toMatchObject({
      protocol,
      source_address: '127.0.0.1',
      source_port: phone.transport.local.port,
    });
    expect(registration.via).toContain(`SIP/2.0/${protocol.toUpperCase()} df7jal23ls0d.invalid`);
    expect(registration.via).toContain(`received=127.0.0.1;rport=${phone.transport.local.port}`);

    const srf = await env.app();
    const dialogP = srf.createUAC(contact, { localSdp: SDP_A } as never);
    const invite = await phone.expectRequest('INVITE');
    expect(invite.uri).toBe(contact);
    expect(invite.topVia.transport).toBe(protocol.toUpperCase());
    expect(invite.contacts[0]!.uri).toMatch(new RegExp(`;transport=${protocol}$`));
    await phone.reply(invite, phone.respond(invite, 200, { body: SDP_B }));
    const dialog = asDialog(await dialogP);
    await phone.expectRequest('ACK');
    const destroyed = dialog.destroy();
    const bye = await phone.expectRequest('BYE');
    await phone.reply(bye, phone.respond(bye, 200));
    await destroyed;
    expect(env.engine.core.dialogs.size).toBe(0);
  });
});
