// The client side of SIP over WebSocket for scripted tests: one connection a phone (a browser) opens to the
// engine, offering the `sip` subprotocol. It implements SipTransport so ScriptedUa runs over it unchanged;
// whatever `to` says, messages go over the one connection, as a browser's would.
import { WebSocket, type RawData } from 'ws';
import type { Inbound, InboundHandler, Peer, SipTransport } from '../../src/transport/transport.js';

export interface WsClientOptions {
  /** The PEM CA the engine's WSS certificate chains to. */
  ca?: Buffer;
  /** @default ['sip'] */
  protocols?: string[];
  /** @default 5000 */
  timeoutMs?: number;
}

export class WsClientTransport implements SipTransport {
  readonly reliable = true;
  /** Every frame received, raw (keep-alive pongs included). */
  readonly frames: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    readonly protocol: 'ws' | 'wss',
    readonly socket: WebSocket,
    readonly local: Peer,
    private readonly remote: Peer,
    onMessage: InboundHandler,
  ) {
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    socket.on('message', (raw: RawData) => {
      const data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as ArrayBuffer);
      this.frames.push(data);
      if (data.toString('latin1').trim() === '') return;
      const inbound: Inbound = { data, remote: this.remote, transport: this };
      onMessage(inbound);
    });
  }

  /** Opens `ws(s)://host:port`; rejects with the HTTP status when the engine refuses the upgrade. */
  static connect(
    protocol: 'ws' | 'wss',
    engine: Peer,
    onMessage: InboundHandler,
    options: WsClientOptions = {},
  ): Promise<WsClientTransport> {
    const socket = new WebSocket(
      `${protocol}://${engine.address}:${engine.port}`,
      options.protocols ?? ['sip'],
      { ca: options.ca, handshakeTimeout: options.timeoutMs ?? 5000 },
    );
    return new Promise((resolve, reject) => {
      socket.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused: ${res.statusCode} ${res.statusMessage}`));
        socket.terminate();
      });
      socket.once('error', reject);
      socket.once('open', () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        const raw = (socket as unknown as { _socket: { localAddress: string; localPort: number } })._socket;
        resolve(
          new WsClientTransport(
            protocol,
            socket,
            { address: raw.localAddress, port: raw.localPort },
            engine,
            onMessage,
          ),
        );
      });
    });
  }

  send(data: Buffer | string, _to?: Peer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(data, { binary: false }, (err) => (err ? reject(err) : resolve())),
    );
  }

  isConnected(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    this.socket.terminate();
    return this.closed.then(() => undefined);
  }
}
