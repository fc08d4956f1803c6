import { connect as tcpConnect } from 'node:net';
import { createLogger } from '@callctl/logging';
import { waitFor } from '@callctl/testing';
import Srf from 'drachtio-srf';
import { AdminServer } from './admin-server.js';
import { encodeFrame, FrameDecoder } from './framing.js';

const log = createLogger({ service: 'sip-engine-test', level: 'silent' });
const SECRET = 'cymru';

async function startAdmin(): Promise<{ admin: AdminServer; port: number } & AsyncDisposable> {
  const admin = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    secret: SECRET,
    log,
    hostports: () => 'udp/127.0.0.1:5060,tcp/127.0.0.1:5060',
  });
  const { port } = await admin.listen();
  return { admin, port, [Symbol.asyncDispose]: () => admin.close() };
}

interface RawClient {
  send(payload: string): void;
  sendRaw(bytes: Buffer): void;
  next(): Promise<string>;
  closed: Promise<void>;
  end(): void;
}

function rawClient(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    const decoder = new FrameDecoder();
    const queue: string[] = [];
    const waiters: ((s: string) => void)[] = [];
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        const w = waiters.shift();
        if (w) w(frame);
        else queue.push(frame);
      }
    });
    socket.once('error', reject);
    socket.once('connect', () =>
      resolve({
        send: (payload) => socket.write(encodeFrame(payload)),
        sendRaw: (bytes) => socket.write(bytes),
        next: () => {
          const q = queue.shift();
          return q !== undefined ? Promise.resolve(q) : new Promise((r) => waiters.push(r));
        },
        closed,
        end: () => socket.destroy(),
      }),
    );
  });
}

function connectSrf(port: number, secret = SECRET): Promise<{ srf: Srf; hostport: string; err?: Error }> {
  const srf = new Srf();
  return new Promise((resolve) => {
    srf.on('connect', (err: Error | null, hostport: string) =>
      resolve({ srf, hostport, err: err ?? undefined }),
    );
    srf.on('error', () => undefined);
    srf.connect({ host: '127.0.0.1', port, secret, reconnect: { maxAttempts: 1 } } as never);
  });
}

describe('admin server with the published drachtio-srf', () => {
  it('authenticates srf and hands it the SIP host ports', async () => {
    await using env = await startAdmin();
    const { srf, hostport, err } = await connectSrf(env.port);
    expect(err).toBeUndefined();
    expect(hostport).toBe('udp/127.0.0.1:5060,tcp/127.0.0.1:5060');
    srf.disconnect();
  });

  it('refuses srf with a wrong secret and closes the connection', async () => {
    await using env = await startAdmin();
    const { srf, err } = await connectSrf(env.port, 'wrong');
    expect(err?.message).toMatch(/failed to authenticate/);
    await waitFor('connection closed', () => env.admin.connections.size === 0);
    // srf has already dropped the refused socket; it must not be told to disconnect again
    expect(srf).toBeDefined();
  });

  it('records srf routes lower-cased and forgets them when srf disconnects', async () => {
    await using env = await startAdmin();
    const { srf } = await connectSrf(env.port);
    srf.invite(() => undefined);
    srf.use('options', () => undefined);
    await waitFor(
      'routes',
      () => env.admin.router.all('invite').length === 1 && env.admin.router.all('options').length === 1,
    );
    srf.disconnect();
    await waitFor('routes dropped', () => env.admin.router.all('invite').length === 0);
  });
});

describe('admin server protocol edge cases', () => {
  it('answers ping before and after authentication', async () => {
    await using env = await startAdmin();
    const client = await rawClient(env.port);
    client.send('p1|ping');
    expect((await client.next()).split('|').slice(1)).toEqual(['response', 'p1', 'OK', 'pong']);
    client.end();
  });

  it('refuses routes before authentication', async () => {
    await using env = await startAdmin();
    const client = await rawClient(env.port);
    client.send('r1|route|invite');
    expect(await client.next()).toMatch(/\|response\|r1\|NO\|authentication required$/);
    expect(env.admin.router.all('invite')).toHaveLength(0);
    client.end();
  });

  it('answers malformed and unknown frames with an error and keeps serving', async () => {
    await using env = await startAdmin();
    const client = await rawClient(env.port);
    client.send(`a1|authenticate|${SECRET}|`);
    expect(await client.next()).toMatch(/\|a1\|OK\|/);
    client.send('u1|frobnicate|x');
    expect(await client.next()).toMatch(/\|u1\|NO\|unknown message type/);
    client.send('s1|sip||');
    expect(await client.next()).toMatch(/\|s1\|NO\|sip message without SIP text/);
    client.send('p2|ping');
    expect(await client.next()).toMatch(/\|p2\|OK\|pong$/);
    client.end();
  });

  it('accepts frames split byte by byte with a multi-byte display name', async () => {
    await using env = await startAdmin();
    const client = await rawClient(env.port);
    const bytes = Buffer.concat([
      encodeFrame(`a1|authenticate|${SECRET}|`),
      encodeFrame('s1|sip||\r\nOPTIONS sip:x@127.0.0.1 SIP/2.0\r\nFrom: "María 😀" <sip:m@x>\r\n\r\n'),
    ]);
    for (const byte of bytes) client.sendRaw(Buffer.from([byte]));
    expect(await client.next()).toMatch(/\|a1\|OK\|/);
    // no SIP stack attached in this test: the SIP action is refused, but it was framed correctly
    expect(await client.next()).toMatch(/\|s1\|NOK\|/);
    client.end();
  });

  it('closes the connection on a framing error without affecting other apps', async () => {
    await using env = await startAdmin();
    const bad = await rawClient(env.port);
    const good = await rawClient(env.port);
    bad.sendRaw(Buffer.from('12x#garbage'));
    await bad.closed;
    good.send('p|ping');
    expect(await good.next()).toMatch(/OK\|pong$/);
    good.end();
  });
});
