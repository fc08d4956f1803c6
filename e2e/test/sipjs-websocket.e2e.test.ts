// sip.js (npm) in Node as a WebSocket softphone of the platform (RFC 7118): it registers over WSS and WS
// with digest to sip-edge's registrar (asking for RFC 5626 outbound), calls the platform and is dialled by
// it through its registered flow, with audio both ways proven by tones at RTP endpoints the test owns (its
// SessionDescriptionHandler offers a fixed plain-RTP SDP). Bad WebSocket clients (a frame that is not SIP,
// an oversize frame, no `sip` subprotocol) are closed while the registered phone keeps working.
import { provisioning } from '@callctl/proto';
import { makeCertificateAuthority } from '@callctl/testing';
import { WebSocket } from 'ws';
import { phonesUnderTest } from '../support/phone-calls.js';
import { startSipJsPhone, type SipJsPhone } from '../support/sipjs-phone.js';

jest.setTimeout(90_000);

const DOMAIN = 'ws.e2e.test';
const PASSWORD = 'alice-ws-secret';
const ALICE_HZ = 600;
const CARRIER_HZ = 1700;

// Made at load: the platform's fixture options (its WSS certificate) are fixed when the file registers hooks.
const ca = makeCertificateAuthority();
const certificate = { ...ca.issue('127.0.0.1'), caFile: ca.caFile };
afterAll(() => ca.remove());

describe('sip.js over WebSocket', () => {
  const { p, calls, phone } = phonesUnderTest(
    'sipjs-ws',
    {},
    {
      settings: { env: { DIGEST_ALGORITHMS: 'MD5' } },
      fixtures: { provisioning: true, engineTransports: { ws: true, wss: true, certificate } },
      async setUp(platform) {
        await platform.provisioning!.api.putDomain(DOMAIN);
        await platform.provisioning!.api.putUser(DOMAIN, 'alice', PASSWORD);
      },
    },
  );
  const server = (protocol: 'ws' | 'wss') => {
    const { wsPort, wssPort } = p().edge.engine;
    return `${protocol}://127.0.0.1:${protocol === 'ws' ? wsPort : wssPort}`;
  };
  const alice = (protocol: 'ws' | 'wss'): Promise<SipJsPhone> =>
    phone(() =>
      startSipJsPhone({
        server: server(protocol),
        user: 'alice',
        domain: DOMAIN,
        password: PASSWORD,
        toneHz: ALICE_HZ,
        caFile: certificate.caFile,
        keepAliveS: 5,
      }),
    );
  const bindingOverWs = async (transport: string) => {
    const bindings = await p().provisioning!.api.listRegistrations(DOMAIN, 'alice');
    return bindings.find((b) => b.transport === transport);
  };

  it('registers over WSS with digest (outbound granted) and calls a number routed out through a trunk; both hear each other', async () => {
    const phoneUa = await alice('wss');
    const accepted = await phoneUa.event('register-accepted');
    expect(phoneUa.events.find((e) => e.event === 'registered')).toBeDefined();
    // RFC 5626: the registrar keeps the flow and says how often to send keep-alives.
    expect(String(accepted.message)).toMatch(/^Require: outbound\r?$/im);
    expect(String(accepted.message)).toMatch(/^Flow-Timer: \d+\r?$/im);
    const binding = await bindingOverWs('wss');
    expect(binding).toMatchObject({ sourceAddress: '127.0.0.1', regId: 1 });
    expect(binding!.contactUri).toMatch(/;transport=ws/);

    // A number the dial plan routes out through a carrier's trunk to its gateway (a sipp UAS).
    const gateway = await calls.party('carrier-gateway', CARRIER_HZ);
    const prov = p().provisioning!.api;
    await prov.putTrunk({
      name: 'carrier',
      gateways: [
        {
          host: '127.0.0.1',
          port: gateway.sipp.port,
          transport: provisioning.SipTransport.SIP_TRANSPORT_UDP,
        },
      ],
    });
    await prov.putRoute({ name: 'us-555', pattern: '+1555*', trunk: 'carrier', priority: 0 });
    await phoneUa.dial(`sip:+15550100@${DOMAIN}`);
    const inbound = await p().event(
      'legInitiated',
      (e) =>
        e.event.legInitiated.user === `alice@${DOMAIN}` &&
        e.event.legInitiated.routedTo?.includes('+15550100') === true,
    );
    const { callId, legId } = inbound.event.legInitiated;
    await phoneUa.event('established');
    await p().event('legsBridged', (e) => e.event.legsBridged.callId === callId);
    await calls.hears('the carrier hearing alice', () => gateway.recentToneRatio(ALICE_HZ));
    await calls.hears('alice hearing the carrier', () => phoneUa.recentToneRatio(CARRIER_HZ));
    phoneUa.hangup();
    await phoneUa.event('terminated');
    await p().event('legEnded', (e) => e.event.legEnded.legId === legId);
    p().edge.expectSippSucceeded(await gateway.sipp.result);
  });

  it('registered over WS, is called by the platform over its own connection and answers; both hear each other; bad clients are closed meanwhile', async () => {
    const phoneUa = await alice('ws');
    await phoneUa.event('registered');
    expect(await bindingOverWs('ws')).toMatchObject({ sourceAddress: '127.0.0.1' });

    // Bad WebSocket clients beside it: each closed, the registered phone unaffected.
    const junk = await openRaw(server('ws'), ['sip']);
    junk.send('{"not":"sip"}');
    expect(await closeCode(junk)).toBe(1003);
    const big = await openRaw(server('ws'), ['sip']);
    big.send(`OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n${'X-Pad: y\r\n'.repeat(8000)}\r\n`);
    expect(await closeCode(big)).toBe(1009);
    await expect(openRaw(server('ws'), ['chat'])).rejects.toThrow(/400/);

    const call = await calls.callerDialledToPhone(phoneUa, 'sipjs-ws-in');
    const incoming = await phoneUa.event('incoming');
    expect(String(incoming.from)).toContain('sip:');
    await p().api.hangup({ callId: call.callId, legId: '' });
    await phoneUa.event('terminated');
    p().edge.expectSippSucceeded(await call.peer.sipp.result);
  });
});

function openRaw(url: string, protocols: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { handshakeTimeout: 5000 });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => {
      reject(new Error(`upgrade refused: ${res.statusCode}`));
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

function closeCode(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}
