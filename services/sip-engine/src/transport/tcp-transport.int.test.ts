import { connect, type Socket } from 'node:net';
import { createLogger } from '@callctl/logging';
import { waitFor } from '@callctl/testing';
import { captureLog } from '../../test/support/captured-log.js';
import { TcpTransport, type TcpTransportOptions } from './tcp-transport.js';
import type { Inbound } from './transport.js';

const log = createLogger({ service: 'sip-engine-test', level: 'silent' });
const msg = (body: string) =>
  Buffer.from(`MESSAGE sip:x SIP/2.0\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);

describe('TCP transport', () => {
  it('frames merged and split messages by Content-Length and answers over the same connection', async () => {
    const atA: Inbound[] = [];
    const atB: Inbound[] = [];
    const a = await TcpTransport.listen({ host: '127.0.0.1', port: 0, log, onMessage: (m) => atA.push(m) });
    const b = await TcpTransport.listen({ host: '127.0.0.1', port: 0, log, onMessage: (m) => atB.push(m) });
    try {
      const both = Buffer.concat([msg('héllo'), msg('two')]);
      await b.send(both.subarray(0, 10), a.local);
      await b.send(both.subarray(10), a.local);
      await waitFor('two messages', () => atA.length === 2);
      expect(atA.map((m) => m.data.toString().split('\r\n\r\n')[1])).toEqual(['héllo', 'two']);
      // reply to the source of the connection: it must reuse it rather than dial b's listener
      await a.send(msg('back'), atA[0]!.remote);
      await waitFor('reply', () => atB.length === 1);
      expect(atB[0]!.data.toString()).toContain('back');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('answers a request without Content-Length with 400 naming the problem, then closes the connection', async () => {
    const received: Inbound[] = [];
    const captured = captureLog();
    const t = await TcpTransport.listen({
      host: '127.0.0.1',
      port: 0,
      log: captured.log,
      onMessage: (m) => received.push(m),
    });
    try {
      const socket = connect(t.local.port, '127.0.0.1');
      const localPort = await new Promise<number>((resolve) =>
        socket.on('connect', () => resolve(socket.localPort!)),
      );
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.write(
        'OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK-nocl\r\n' +
          'From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: nocl-1\r\nCSeq: 1 OPTIONS\r\n' +
          'Max-Forwards: 70\r\n\r\n',
      );
      await closed;
      const answer = Buffer.concat(chunks).toString();
      expect(answer).toMatch(/^SIP\/2\.0 400 Missing Content-Length on a stream transport\r\n/);
      expect(answer).toContain('Call-ID: nocl-1');
      expect(answer).toContain('branch=z9hG4bK-nocl');
      expect(received).toEqual([]);
      // Malformed input is logged once, at info, with the reason and the source, and no stack.
      expect(captured.lines()).toEqual([
        expect.objectContaining({
          level: 'info',
          msg: 'malformed message, closing connection',
          reason: 'Missing Content-Length on a stream transport',
          remote: `127.0.0.1:${localPort}`,
        }),
      ]);
      expect(JSON.stringify(captured.lines())).not.toMatch(/stack|"err"/);
    } finally {
      await t.close();
    }
  });

  it('closes a slow-loris connection at the message deadline, though every byte arrives before the idle timeout', async () => {
    await using env = await listening({ messageTimeoutMs: 1500, idleTimeoutMs: 60_000 });
    const socket = await connected(env.port);
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    let sent = 0;
    const invite = Buffer.from('INVITE sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999\r\n');
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write(invite.subarray(sent, ++sent));
    }, 500);
    await closed;
    clearInterval(trickle);
    // Closed by the deadline (3 bytes in 1.5 s), long before the whole request or the idle timeout.
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(sent).toBeLessThan(invite.length);
    expect(env.received).toEqual([]);
  });

  it('keeps a connection that delivers each message whole within the deadline, however long it lives', async () => {
    await using env = await listening({ messageTimeoutMs: 600 });
    const socket = await connected(env.port);
    // Each message split in two, 200 ms apart; 4 messages take well past one deadline.
    for (let i = 0; i < 4; i++) {
      const bytes = msg(`part ${i}`);
      socket.write(bytes.subarray(0, 10));
      await new Promise((r) => setTimeout(r, 200));
      socket.write(bytes.subarray(10));
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor('four messages', () => env.received.length === 4 || undefined);
    expect(socket.destroyed).toBe(false);
    socket.destroy();
  });

  it('closes an idle connection, but not one a registration pinned (RFC 5626) until it is released', async () => {
    await using env = await listening({ idleTimeoutMs: 400 });
    const idle = await connected(env.port);
    const kept = await connected(env.port);
    idle.write(msg('idle'));
    kept.write(msg('kept'));
    await waitFor('two messages', () => env.received.length === 2 || undefined);
    const keptRemote = env.received.find((m) => m.data.toString().endsWith('kept'))!.remote;
    const release = env.transport.pin(keptRemote)!;
    await new Promise<void>((resolve) => idle.on('close', () => resolve()));
    // Three idle periods later the pinned connection is still up.
    await new Promise((r) => setTimeout(r, 1200));
    expect(kept.destroyed).toBe(false);
    expect(env.transport.isConnected(keptRemote)).toBe(true);
    release();
    await new Promise<void>((resolve) => kept.on('close', () => resolve()));
  });

  it('refuses connections from one address beyond the cap and keeps the others', async () => {
    await using env = await listening({ maxConnectionsPerAddress: 3 });
    const sockets = await Promise.all([1, 2, 3].map(() => connected(env.port)));
    const extra = await connected(env.port);
    await new Promise<void>((resolve) => extra.on('close', () => resolve()));
    for (const socket of sockets) socket.write(msg('still here'));
    await waitFor('three messages', () => env.received.length === 3 || undefined);
    // One closed makes room for a new one.
    sockets[0]!.destroy();
    await waitFor('slot freed', async () => {
      const next = await connected(env.port);
      next.write(msg('new'));
      await new Promise((r) => setTimeout(r, 50));
      const ok = !next.destroyed;
      next.destroy();
      return ok || undefined;
    });
    for (const socket of sockets) socket.destroy();
  });
});

/** A listener on a free loopback port that keeps what it receives; closed when disposed. */
async function listening(
  limits: Pick<TcpTransportOptions, 'messageTimeoutMs' | 'idleTimeoutMs' | 'maxConnectionsPerAddress'>,
) {
  const received: Inbound[] = [];
  const t = await TcpTransport.listen({
    host: '127.0.0.1',
    port: 0,
    log,
    onMessage: (m) => received.push(m),
    ...limits,
  });
  return { received, port: t.local.port, transport: t, [Symbol.asyncDispose]: () => t.close() };
}

function connected(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('connect', () => resolve(socket));
  });
}
