// SIP over TLS end to end in the engine: sipsak (GnuTLS) and Node TLS clients against a TLS listener with
// an srf app, client-certificate verification, bad peers closed with a log line while others are served,
// RFC 5923 aliases and outgoing TLS with server verification.
import { readFileSync } from 'node:fs';
import { connect, createServer, type TLSSocket } from 'node:tls';
import {
  makeCertificateAuthority,
  runSipsak,
  waitFor,
  type CertificateFiles,
  type TestCertificateAuthority,
} from '@callctl/testing';
import { parseMessage, SipRequest, SipResponse, StreamFramer } from '@callctl/sip';
import type { TlsCredentials } from '../src/transport/tls-transport.js';
import { captureLog } from './support/captured-log.js';
import { loose } from './support/srf-types.js';
import { uasApp } from './support/srf-apps.js';
import { SDP_A } from './support/scripted-ua.js';
import { routed, startEngineEnv, type EngineEnv } from './support/engine-env.js';

let ca: TestCertificateAuthority;
let server: CertificateFiles;

beforeAll(() => {
  ca = makeCertificateAuthority();
  server = ca.issue('engine.test');
});
afterAll(() => ca.remove());

function credentials(extra: Partial<TlsCredentials> = {}): TlsCredentials {
  return {
    ...server,
    caFile: ca.caFile,
    minVersion: 'TLSv1.2',
    verifyClientCert: false,
    verifyServerCert: true,
    ...extra,
  };
}

async function tlsEngine(
  extra: Partial<TlsCredentials> = {},
  limits: { messageTimeoutMs?: number } = {},
): Promise<{ env: EngineEnv; lines: () => Array<Record<string, unknown>> }> {
  const captured = captureLog('info');
  const env = await startEngineEnv(undefined, {
    tls: [{ host: '127.0.0.1', port: 0 }],
    tlsCredentials: credentials(extra),
    tcpLimits: limits,
    log: captured.log,
  });
  const srf = await env.app();
  loose(srf).options((_req, res) => res.send(200));
  await routed(env, 'options');
  return { env, lines: captured.lines };
}

/** A Node TLS client speaking SIP: sends requests and collects what comes back over its connection. */
async function tlsClient(
  port: number,
  options: { cert?: CertificateFiles; ca?: string } = {},
): Promise<{ socket: TLSSocket; messages: Array<SipRequest | SipResponse> }> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    ca: readFileSync(options.ca ?? ca.caFile),
    cert: options.cert ? readFileSync(options.cert.certFile) : undefined,
    key: options.cert ? readFileSync(options.cert.keyFile) : undefined,
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve());
    socket.once('error', reject);
  });
  const messages: Array<SipRequest | SipResponse> = [];
  const framer = new StreamFramer({ onPing: () => undefined });
  socket.on('data', (chunk: Buffer) => {
    for (const data of framer.push(chunk)) messages.push(parseMessage(data));
  });
  return { socket, messages };
}

let seq = 0;
function options(enginePort: number, client: TLSSocket, via = ''): string {
  seq += 1;
  const local = `${client.localAddress}:${client.localPort}`;
  return [
    `OPTIONS sip:app@127.0.0.1:${enginePort};transport=tls SIP/2.0`,
    `Via: SIP/2.0/TLS ${via || local};branch=z9hG4bK-tls-${seq}`,
    'Max-Forwards: 70',
    `From: <sip:client@127.0.0.1>;tag=c${seq}`,
    `To: <sip:app@127.0.0.1:${enginePort}>`,
    `Call-ID: tls-${seq}@test`,
    `CSeq: ${seq} OPTIONS`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function optionsAnswered(port: number, client?: Awaited<ReturnType<typeof tlsClient>>): Promise<void> {
  const c = client ?? (await tlsClient(port));
  c.socket.write(options(port, c.socket));
  await waitFor(
    'a 200 to OPTIONS over TLS',
    () => c.messages.some((m) => m instanceof SipResponse && m.status === 200),
    10_000,
  );
  if (!client) c.socket.destroy();
}

describe('SIP over TLS', () => {
  it('answers sipsak (GnuTLS) OPTIONS over TLS', async () => {
    // sipsak 0.9.8 reads a TLS 1.3 session ticket after its request as a failed receive and gives up
    // (checked against openssl s_server: it works with -num_tickets 0 or -no_tls1_3), so TLS 1.2 here.
    const { env } = await tlsEngine({ maxVersion: 'TLSv1.2' });
    await using _ = env;
    const port = env.peer('tls').port;
    const result = await runSipsak({
      uri: 'sip:app@127.0.0.1',
      port,
      transport: 'tls',
      caFile: ca.caFile,
    });
    expect(result.output).toContain('SIP/2.0 200');
    expect(result.code).toBe(0);
    expect(env.engine.hostports).toContain(`tls/127.0.0.1:${port}`);
  });

  it('closes a connection sending garbage instead of a handshake with a log line and serves the others', async () => {
    const { env, lines } = await tlsEngine();
    await using _ = env;
    const port = env.peer('tls').port;
    const { connect: tcpConnect } = await import('node:net');
    const raw = tcpConnect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.on('error', () => undefined);
    raw.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(4)));
    await closed;
    await waitFor('the handshake failure logged', () =>
      lines().some((l) => l.msg === 'tls handshake failed, connection closed'),
    );
    await optionsAnswered(port);
  });

  it('closes a connection trickling one byte a second once its message deadline passes', async () => {
    const { env, lines } = await tlsEngine({}, { messageTimeoutMs: 1500 });
    await using _ = env;
    const port = env.peer('tls').port;
    const slow = await tlsClient(port);
    const closed = new Promise<void>((resolve) => slow.socket.once('close', () => resolve()));
    const text = options(port, slow.socket);
    let i = 0;
    const trickle = setInterval(() => {
      if (!slow.socket.destroyed) slow.socket.write(text[i++] ?? '');
    }, 1000);
    try {
      await optionsAnswered(port);
      await closed;
    } finally {
      clearInterval(trickle);
    }
    expect(slow.messages).toHaveLength(0);
    expect(lines().some((l) => l.msg === 'tls message not completed in time, closing connection')).toBe(true);
  });

  it('refuses a client below the minimum TLS version with a log line and serves one above it', async () => {
    const { env, lines } = await tlsEngine({ minVersion: 'TLSv1.3' });
    await using _ = env;
    const port = env.peer('tls').port;
    const old = connect({ host: '127.0.0.1', port, ca: readFileSync(ca.caFile), maxVersion: 'TLSv1.2' });
    const failed = await new Promise<Error | undefined>((resolve) => {
      old.once('secureConnect', () => resolve(undefined));
      old.once('error', resolve);
    });
    old.destroy();
    expect(failed).toBeDefined();
    await waitFor('the version refusal logged', () =>
      lines().some(
        (l) =>
          l.msg === 'tls handshake failed, connection closed' && l.code === 'ERR_SSL_UNSUPPORTED_PROTOCOL',
      ),
    );
    await optionsAnswered(port);
  });

  describe('with client certificates verified', () => {
    it('accepts a certificate naming the client, refuses an expired one and one naming someone else', async () => {
      const { env, lines } = await tlsEngine({ verifyClientCert: true });
      await using _ = env;
      const port = env.peer('tls').port;
      await optionsAnswered(port, await tlsClient(port, { cert: ca.issue('phone.test') }));

      const refused = async (cert: CertificateFiles) => {
        // TLS 1.3 finishes the client's side before the server checks its certificate: the refusal shows
        // as the connection closing without an answer.
        const client = await tlsClient(port, { cert }).catch(() => undefined);
        if (client === undefined) return;
        const closed = new Promise<void>((resolve) => client.socket.once('close', () => resolve()));
        client.socket.write(options(port, client.socket));
        await closed;
        expect(client.messages).toHaveLength(0);
      };
      await refused(ca.issue('expired.test', { validDays: -1 }));
      await waitFor('the expired certificate logged', () =>
        lines().some((l) => l.reason === 'CERT_HAS_EXPIRED'),
      );
      await refused(ca.issue('elsewhere.test', { altNames: ['DNS:elsewhere.test', 'IP:192.0.2.7'] }));
      await waitFor('the wrong name logged', () =>
        lines().some(
          (l) => l.msg === 'tls client certificate refused' && /127\.0\.0\.1/.test(String(l.reason)),
        ),
      );
      const other = makeCertificateAuthority('other-ca');
      await refused(other.issue('stranger.test'));
      other.remove();
      await waitFor('the untrusted issuer logged', () =>
        lines().some((l) => l.reason === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
      );
    });
  });

  it('answers an INVITE for a SIPS URI with a SIPS Contact, and one for a SIP URI over TLS with transport=tls', async () => {
    const { env } = await tlsEngine();
    await using _ = env;
    const port = env.peer('tls').port;
    await uasApp(env, await env.app());
    const client = await tlsClient(port);
    const contactOf = async (uri: string) => {
      seq += 1;
      const local = `${client.socket.localAddress}:${client.socket.localPort}`;
      client.socket.write(
        [
          `INVITE ${uri} SIP/2.0`,
          `Via: SIP/2.0/TLS ${local};branch=z9hG4bK-inv-${seq};rport`,
          'Max-Forwards: 70',
          `From: <sips:client@127.0.0.1>;tag=i${seq}`,
          `To: <${uri}>`,
          `Call-ID: invite-${seq}@test`,
          'CSeq: 1 INVITE',
          `Contact: <sips:client@${local}>`,
          'Content-Type: application/sdp',
          `Content-Length: ${SDP_A.length}`,
          '',
          SDP_A,
        ].join('\r\n'),
      );
      const ok = await waitFor('the 200 to the INVITE', () =>
        client.messages.find(
          (m): m is SipResponse =>
            m instanceof SipResponse && m.status === 200 && m.get('Call-ID') === `invite-${seq}@test`,
        ),
      );
      return ok.contacts[0]!.uri;
    };
    expect(await contactOf(`sips:app@127.0.0.1:${port}`)).toBe(`sips:127.0.0.1:${port}`);
    expect(await contactOf(`sip:app@127.0.0.1:${port};transport=tls`)).toBe(
      `sip:127.0.0.1:${port};transport=tls`,
    );
    client.socket.destroy();
  });

  it('reuses the connection a peer opened for requests to its Via sent-by when it asks with alias', async () => {
    const { env } = await tlsEngine();
    await using _ = env;
    const port = env.peer('tls').port;
    const client = await tlsClient(port);
    // The client claims a listening port nobody listens on: without the alias the engine would dial it.
    client.socket.write(options(port, client.socket, `127.0.0.1:1;alias`));
    await waitFor('the OPTIONS answered', () => client.messages.some((m) => m instanceof SipResponse));
    const srf = await env.app();
    void loose(srf).request(`sip:client@127.0.0.1:1;transport=tls`, { method: 'OPTIONS' });
    await waitFor(
      'the app OPTIONS over the aliased connection',
      () => client.messages.some((m) => m instanceof SipRequest && m.method === 'OPTIONS'),
      10_000,
    );
    client.socket.destroy();
  });

  it('sends to a TLS peer whose certificate it trusts and refuses one it does not', async () => {
    const { env, lines } = await tlsEngine();
    await using _ = env;
    const srf = await env.app();
    const peerAt = async (cert: CertificateFiles) => {
      const received: string[] = [];
      const peer = createServer(
        { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
        (socket) => {
          socket.on('data', (d: Buffer) => received.push(d.toString()));
          socket.on('error', () => undefined);
        },
      );
      await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', () => resolve()));
      const { port } = peer.address() as { port: number };
      return { peer, port, received };
    };
    const trusted = await peerAt(ca.issue('peer.test'));
    void loose(srf).request(`sips:peer@127.0.0.1:${trusted.port}`, { method: 'OPTIONS' });
    await waitFor(
      'the OPTIONS at the trusted peer',
      () => trusted.received.join('').startsWith('OPTIONS sips:peer@'),
      10_000,
    );
    expect(trusted.received.join('')).toMatch(/Via: SIP\/2\.0\/TLS 127\.0\.0\.1:\d+/);
    trusted.peer.close();

    const other = makeCertificateAuthority('untrusted-ca');
    try {
      const stranger = await peerAt(other.issue('stranger.test'));
      void loose(srf).request(`sip:peer@127.0.0.1:${stranger.port};transport=tls`, { method: 'OPTIONS' });
      await waitFor(
        'the failed verification logged',
        () => lines().some((l) => l.msg === 'tls connection failed'),
        10_000,
      );
      expect(stranger.received).toHaveLength(0);
      stranger.peer.close();
    } finally {
      other.remove();
    }
  });
});
