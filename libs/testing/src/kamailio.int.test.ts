import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { isBound } from './ports.js';
import {
  startKamailioGateway,
  startKamailioRegistrar,
  startKamailioUacRegistration,
  type KamailioRegistrar,
} from './kamailio-peers.js';
import { waitFor } from './wait-for.js';

/** Sends one request over UDP from a socket of its own and resolves with the first final response. */
function request(port: number, build: (localPort: number) => string, timeoutMs = 3000): Promise<string> {
  const socket = createSocket('udp4');
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no final response from 127.0.0.1:${port}`)), timeoutMs);
    socket.on('message', (data) => {
      const text = data.toString('utf8');
      if (/^SIP\/2\.0 1\d\d/.test(text)) return;
      clearTimeout(timer);
      resolve(text);
    });
    socket.bind(0, '127.0.0.1', () => socket.send(build(socket.address().port), port, '127.0.0.1'));
  }).finally(() => socket.close());
}

function requestText(
  method: string,
  uri: string,
  localPort: number,
  more: string[] = [],
  to = uri.replace(/:\d+$/, ''),
): string {
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK${randomUUID()};rport`,
    'From: <sip:tester@example.test>;tag=t1',
    `To: <${to}>`,
    `Call-ID: ${randomUUID()}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:tester@127.0.0.1:${localPort}>`,
    'Max-Forwards: 70',
    ...more,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const statusOf = (response: string) => Number(response.slice(8, 11));

describe('kamailio peers (real Kamailio, loopback)', () => {
  describe('a registrar with digest (MD5) and a uac_reg device registering to it', () => {
    let registrar: KamailioRegistrar;
    beforeAll(async () => {
      registrar = await startKamailioRegistrar({
        realm: 'provider.test',
        users: [{ username: 'dev1', password: 'right-one' }],
        algorithm: 'MD5',
      });
    });
    afterAll(() => registrar.stop());

    it('saves the device once it answers the challenge, and relays an INVITE for the user to it', async () => {
      const device = await startKamailioUacRegistration({
        registrar: { host: '127.0.0.1', port: registrar.port },
        domain: 'provider.test',
        username: 'dev1',
        password: 'right-one',
        contactUser: 'dev1-contact',
        answerStatus: 486,
      });
      try {
        await waitFor('the device online', async () => (await device.state()).online, 10_000, 100);
        const contacts = await registrar.contacts();
        expect(contacts).toEqual([
          expect.objectContaining({ aor: 'dev1', address: device.contactUri, expiresS: expect.any(Number) }),
        ]);
        expect((await registrar.registerCounts()).accepted).toBeGreaterThanOrEqual(1);
        // The registrar routes to the registered contact; the device answers 486.
        const answer = await request(registrar.port, (local) =>
          requestText('INVITE', registrar.uri.replace('sip:', 'sip:dev1@'), local),
        );
        expect(statusOf(answer)).toBe(486);
      } finally {
        await device.stop();
      }
    });

    it('refuses a wrong password with 403 and saves nothing', async () => {
      const before = await registrar.contacts();
      const device = await startKamailioUacRegistration({
        registrar: { host: '127.0.0.1', port: registrar.port },
        domain: 'provider.test',
        username: 'dev1',
        password: 'wrong',
        contactUser: 'intruder',
      });
      try {
        await waitFor(
          'the refusal',
          async () => (await registrar.registerCounts()).refused >= 1,
          10_000,
          100,
        );
        expect((await device.state()).online).toBe(false);
        expect((await registrar.contacts()).map((c) => c.address)).toEqual(before.map((c) => c.address));
      } finally {
        await device.stop();
      }
    });

    it('answers an INVITE for a user nobody registered with 404', async () => {
      const answer = await request(registrar.port, (local) =>
        requestText('INVITE', registrar.uri.replace('sip:', 'sip:nobody@'), local),
      );
      expect(statusOf(answer)).toBe(404);
    });
  });

  it('challenges with SHA-256 and qop=auth when so configured', async () => {
    const registrar = await startKamailioRegistrar({
      realm: 'provider.test',
      users: [{ username: 'dev1', password: 'pw' }],
      algorithm: 'SHA-256',
    });
    try {
      const answer = await request(registrar.port, (local) =>
        requestText('REGISTER', registrar.uri, local, ['Expires: 60'], 'sip:dev1@provider.test'),
      );
      expect(statusOf(answer)).toBe(401);
      expect(answer).toMatch(
        /WWW-Authenticate: Digest realm="provider\.test", nonce="[^"]+", qop="auth", algorithm=SHA-256/,
      );
    } finally {
      await registrar.stop();
    }
  });

  it('runs a gateway that answers INVITEs with 503 and counts them, and leaves nothing behind', async () => {
    const gateway = await startKamailioGateway();
    const answer = await request(gateway.port, (local) =>
      requestText('INVITE', `sip:+4420@127.0.0.1:${gateway.port}`, local),
    );
    expect(statusOf(answer)).toBe(503);
    expect(await gateway.received('INVITE')).toBe(1);
    await gateway.stop();
    expect(existsSync(gateway.dir)).toBe(false);
    expect(isBound('udp', gateway.port)).toBe(false);
  });
});
