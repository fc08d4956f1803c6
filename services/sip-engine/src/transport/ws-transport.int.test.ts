// The WebSocket transport against the real `ws` client: RFC 7118 framing (one SIP message per frame, text
// or binary, `sip` subprotocol required), RFC 5626 CRLF keep-alives, idle connections closed unless pinned
// by a registration, and bad input (not SIP, oversize, no subprotocol) closed with a log line while the
// other connections are served.
import { readFileSync } from 'node:fs';
import { createLogger } from '@callctl/logging';
import { makeCertificateAuthority, waitFor, type TestCertificateAuthority } from '@callctl/testing';
import { captureLog } from '../../test/support/captured-log.js';
import { WsClientTransport } from '../../test/support/ws-client-transport.js';
import type { Inbound } from './transport.js';
import { WsTransport, type WsTransportOptions } from './ws-transport.js';

const silent = createLogger({ service: 'sip-engine-test', level: 'silent' });

const options = (register: Inbound[]): WsTransportOptions => ({
  host: '127.0.0.1',
  port: 0,
  log: silent,
  onMessage: (m) => register.push(m),
});

const OPTIONS_REQUEST =
  'OPTIONS sip:engine@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS abc.invalid;branch=z9hG4bK-1\r\n' +
  'From: <sip:a@abc.invalid>;tag=1\r\nTo: <sip:engine@127.0.0.1>\r\nCall-ID: ws-1\r\nCSeq: 1 OPTIONS\r\n' +
  'Max-Forwards: 70\r\n\r\n';

async function client(transport: WsTransport, extra: { ca?: Buffer; protocols?: string[] } = {}) {
  const received: Inbound[] = [];
  const ws = await WsClientTransport.connect(
    transport.protocol,
    { address: '127.0.0.1', port: transport.local.port },
    (m) => received.push(m),
    extra,
  );
  return { ws, received };
}

describe('WebSocket transport', () => {
  let ca: TestCertificateAuthority;
  beforeAll(() => {
    ca = makeCertificateAuthority();
  });
  afterAll(() => ca.remove());

  it.each(['ws', 'wss'] as const)(
    'over %s: takes one SIP message per frame, text or binary, and answers over the same connection',
    async (protocol) => {
      const atEngine: Inbound[] = [];
      const leaf = ca.issue('127.0.0.1');
      const tls =
        protocol === 'wss'
          ? {
              ...leaf,
              minVersion: 'TLSv1.2' as const,
              verifyClientCert: false,
              verifyServerCert: true,
            }
          : undefined;
      const engine = await WsTransport.listen({ ...options(atEngine), tls });
      try {
        expect(engine.protocol).toBe(protocol);
        const { ws, received } = await client(engine, { ca: readFileSync(ca.caFile) });
        await ws.send(OPTIONS_REQUEST);
        await new Promise<void>((resolve, reject) =>
          ws.socket.send(Buffer.from(OPTIONS_REQUEST.replace('ws-1', 'ws-2')), { binary: true }, (err) =>
            err ? reject(err) : resolve(),
          ),
        );
        await waitFor('two requests', () => atEngine.length === 2);
        expect(atEngine.map((m) => m.data.toString())).toEqual([
          OPTIONS_REQUEST,
          OPTIONS_REQUEST.replace('ws-1', 'ws-2'),
        ]);
        expect(atEngine[0]!.transport).toBe(engine);
        expect(atEngine[0]!.remote).toEqual(ws.local);
        expect(engine.isConnected(ws.local)).toBe(true);
        await engine.send(Buffer.from('SIP/2.0 200 OK\r\nCall-ID: ws-1\r\n\r\n'), atEngine[0]!.remote);
        await waitFor('the answer', () => received.length === 1);
        expect(received[0]!.data.toString()).toContain('Call-ID: ws-1');
        await ws.close();
        await waitFor('the connection gone', () => !engine.isConnected(atEngine[0]!.remote));
        await expect(engine.send(Buffer.from('x'), atEngine[0]!.remote)).rejects.toThrow(/no ws/);
      } finally {
        await engine.close();
      }
    },
  );

  it('answers a double-CRLF keep-alive with a single CRLF (RFC 5626) and drops a lone CRLF', async () => {
    const atEngine: Inbound[] = [];
    const engine = await WsTransport.listen(options(atEngine));
    try {
      const { ws } = await client(engine);
      await ws.send('\r\n\r\n');
      await waitFor('the pong', () => ws.frames.length === 1);
      expect(ws.frames[0]!.toString()).toBe('\r\n');
      await ws.send('\r\n');
      await ws.send(OPTIONS_REQUEST);
      await waitFor('the request', () => atEngine.length === 1);
      expect(ws.frames).toHaveLength(1);
    } finally {
      await engine.close();
    }
  });

  it('closes an idle connection, but not one pinned by a registration until it is released', async () => {
    const engine = await WsTransport.listen({ ...options([]), idleTimeoutMs: 400 });
    try {
      const idle = await client(engine);
      const kept = await client(engine);
      const release = engine.pin(kept.ws.local)!;
      expect(engine.pin({ address: '127.0.0.1', port: 1 })).toBeUndefined();
      expect(await idle.ws.closed).toEqual({ code: 1000, reason: 'idle' });
      // Three idle periods later the pinned connection is still up.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(kept.ws.isConnected()).toBe(true);
      release();
      expect(await kept.ws.closed).toEqual({ code: 1000, reason: 'idle' });
    } finally {
      await engine.close();
    }
  });

  it('closes a connection sending a frame that is not SIP (1003) or too big (1009), with a log line, and serves the others', async () => {
    const atEngine: Inbound[] = [];
    const captured = captureLog();
    const engine = await WsTransport.listen({
      ...options(atEngine),
      log: captured.log,
      maxMessageBytes: 2000,
    });
    try {
      const good = await client(engine);
      const junk = await client(engine);
      const big = await client(engine);
      await junk.ws.send('{"type":"hello"}');
      expect(await junk.ws.closed).toEqual({ code: 1003, reason: 'not a SIP message' });
      await big.ws.send(OPTIONS_REQUEST + 'x'.repeat(2000));
      expect((await big.ws.closed).code).toBe(1009);
      await good.ws.send(OPTIONS_REQUEST);
      await waitFor('the good request', () => atEngine.length === 1);
      expect(atEngine[0]!.remote).toEqual(good.ws.local);
      expect(captured.lines()).toEqual([
        expect.objectContaining({
          level: 'info',
          msg: 'malformed message, closing connection',
          reason: 'websocket message is not SIP',
          remote: `127.0.0.1:${junk.ws.local.port}`,
        }),
        expect.objectContaining({
          level: 'info',
          msg: 'ws protocol error, connection closed',
          code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
          remote: `127.0.0.1:${big.ws.local.port}`,
        }),
      ]);
    } finally {
      await engine.close();
    }
  });

  it('refuses an upgrade that does not offer the sip subprotocol (400), with a log line', async () => {
    const captured = captureLog();
    const engine = await WsTransport.listen({ ...options([]), log: captured.log });
    try {
      await expect(client(engine, { protocols: ['chat'] })).rejects.toThrow(
        'upgrade refused: 400 SIP Subprotocol Required',
      );
      expect(captured.lines()).toEqual([
        expect.objectContaining({ level: 'info', msg: 'ws upgrade refused', status: 400 }),
      ]);
      // Offering several, `sip` among them, is fine: the engine picks `sip`.
      const { ws } = await client(engine, { protocols: ['chat', 'sip'] });
      expect(ws.socket.protocol).toBe('sip');
    } finally {
      await engine.close();
    }
  });
});
