// SIP over WebSocket (RFC 7118), plain (ws) and secure (wss). Browsers and sip.js open the connections; the
// engine never dials out over WebSocket (a WebSocket client cannot be reached any other way), so requests
// to a device go back over the connection it opened, found by its remote address:port.
import { isUtf8 } from 'node:buffer';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { ListenerOptions, Peer, SipTransport } from './transport.js';
import {
  DEFAULT_STREAM_IDLE_TIMEOUT_MS,
  DEFAULT_STREAM_MAX_CONNECTIONS_PER_ADDRESS,
  type StreamLimits,
} from './stream-connections.js';
import { secureContext, type TlsCredentials } from './tls-transport.js';
import { KEEPALIVE_PONG, classifyFrame } from './ws-frames.js';
import { listenOn } from './stream-transport.js';

export interface WsTransportOptions
  extends
    ListenerOptions,
    Pick<StreamLimits, 'idleTimeoutMs' | 'maxConnectionsPerAddress' | 'refuse' | 'onMalformed'> {
  /** WSS: the listener's certificate; undefined: plain WS. */
  tls?: TlsCredentials;
  /** Largest SIP message in one frame; a larger frame closes the connection. @default 65536 */
  maxMessageBytes?: number;
  /** The opening HTTP request must arrive whole within this. @default 10_000 */
  handshakeTimeoutMs?: number;
}

export const DEFAULT_WS_MAX_MESSAGE_BYTES = 65_536;
export const DEFAULT_WS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** RFC 7118 §4: the subprotocol a SIP WebSocket client must offer. */
export const SIP_SUBPROTOCOL = 'sip';

/** RFC 6455 §7.4.1 close codes the transport uses. */
const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_UNSUPPORTED_DATA = 1003;

interface Connection {
  socket: WebSocket;
  remote: Peer;
  key: string;
  idle: NodeJS.Timeout | undefined;
  /** Holders keeping it open past the idle timeout (a registered device's flow, RFC 5626). */
  pins: number;
}

export class WsTransport implements SipTransport {
  readonly reliable = true;
  advertised: Peer | undefined;
  private readonly connections = new Map<string, Connection>();
  private readonly acceptedFrom = new Map<string, number>();
  private readonly idleTimeoutMs: number;

  private constructor(
    readonly protocol: 'ws' | 'wss',
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    readonly local: Peer,
    private readonly options: WsTransportOptions,
  ) {
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
  }

  static async listen(options: WsTransportOptions): Promise<WsTransport> {
    // The opening HTTP request must arrive whole within the handshake timeout: a client trickling its
    // upgrade a byte at a time is cut (Node checks its timeouts every connectionsCheckingInterval).
    const handshakeMs = options.handshakeTimeoutMs ?? DEFAULT_WS_HANDSHAKE_TIMEOUT_MS;
    const http = {
      headersTimeout: handshakeMs,
      requestTimeout: handshakeMs,
      connectionsCheckingInterval: Math.min(1000, handshakeMs),
    };
    // WSS: the TLS listener's certificate and policy. A client certificate, when verification is on, must
    // chain to a trusted CA (browsers rarely present one; the name check of SIP over TLS does not apply).
    const server = options.tls
      ? createHttpsServer({
          ...http,
          ...secureContext(options.tls),
          requestCert: options.tls.verifyClientCert,
          rejectUnauthorized: options.tls.verifyClientCert,
        })
      : createHttpServer(http);
    // Only upgrades are served: a plain HTTP request gets 426 and nothing else.
    server.on('request', (_req, res) => {
      res.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end();
    });
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageBytes ?? DEFAULT_WS_MAX_MESSAGE_BYTES,
      // Compression costs memory per connection and SIP messages are small.
      perMessageDeflate: false,
      handleProtocols: (offered) => (offered.has(SIP_SUBPROTOCOL) ? SIP_SUBPROTOCOL : false),
    });
    const protocol = options.tls ? 'wss' : 'ws';
    const transport = new WsTransport(
      protocol,
      server,
      wss,
      await listenOn(server, options.host, options.port, 'websocket'),
      options,
    );
    if (options.advertisedHost)
      transport.advertised = { address: options.advertisedHost, port: transport.local.port };
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      transport.upgrade(req, socket, head),
    );
    server.on('tlsClientError', (err, socket) => {
      options.log.info(
        { remote: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`, reason: err.message },
        'wss handshake failed, connection closed',
      );
    });
    // A malformed or too slow opening request: the peer's fault, one info line naming it.
    server.on(
      'clientError',
      (err: Error & { code?: string }, socket: Duplex & { remoteAddress?: string; remotePort?: number }) => {
        options.log.info(
          {
            remote: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`,
            code: err.code,
            reason: err.message,
          },
          `${protocol} bad http request, connection closed`,
        );
        socket.destroy();
      },
    );
    return transport;
  }

  async send(data: Buffer, to: Peer): Promise<void> {
    const connection = this.connections.get(keyOf(to));
    if (!connection || connection.socket.readyState !== connection.socket.OPEN)
      throw new Error(`no ${this.protocol} connection to ${keyOf(to)}`);
    // RFC 7118 §5: one SIP message per WebSocket message; text frames when it is valid UTF-8 (browsers'
    // SIP stacks read text), binary otherwise.
    const binary = !isUtf8(data);
    await new Promise<void>((resolve, reject) =>
      connection.socket.send(data, { binary }, (err) => (err ? reject(err) : resolve())),
    );
  }

  isConnected(peer: Peer): boolean {
    const connection = this.connections.get(keyOf(peer));
    return connection !== undefined && connection.socket.readyState === connection.socket.OPEN;
  }

  /**
   * Keeps the connection to `peer` open past the idle timeout until the returned release is called (RFC
   * 5626: a registered device's flow lasts while its binding does). Undefined when there is no connection.
   */
  pin(peer: Peer): (() => void) | undefined {
    const connection = this.connections.get(keyOf(peer));
    if (!connection) return undefined;
    connection.pins += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      connection.pins -= 1;
      if (connection.pins === 0) this.touch(connection);
    };
  }

  /** Open connections, for benchmarks and status. */
  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    for (const connection of this.connections.values()) {
      clearTimeout(connection.idle);
      connection.socket.close(CLOSE_GOING_AWAY, 'server shutting down');
      connection.socket.terminate();
    }
    this.wss.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The HTTP upgrade: banned and over-cap sources and clients not offering `sip` are refused with a reason. */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const address = req.socket.remoteAddress ?? '';
    const remote = `${address}:${req.socket.remotePort ?? 0}`;
    const refuse = (status: number, reason: string, level: 'debug' | 'info') => {
      this.options.log[level]({ remote, status, reason }, `${this.protocol} upgrade refused`);
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    if (this.options.refuse?.(address)) {
      socket.destroy();
      return;
    }
    const open = this.acceptedFrom.get(address) ?? 0;
    if (open >= (this.options.maxConnectionsPerAddress ?? DEFAULT_STREAM_MAX_CONNECTIONS_PER_ADDRESS))
      return refuse(503, 'Too Many Connections From This Address', 'debug');
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    // RFC 7118 §4.1: a client that does not speak the `sip` subprotocol is not a SIP client.
    if (!offered.some((p) => p.toLowerCase() === SIP_SUBPROTOCOL))
      return refuse(400, 'SIP Subprotocol Required', 'info');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.adopt(ws, req));
  }

  private adopt(socket: WebSocket, req: IncomingMessage): void {
    const address = req.socket.remoteAddress ?? '';
    const remote: Peer = { address, port: req.socket.remotePort ?? 0 };
    const key = keyOf(remote);
    this.acceptedFrom.set(address, (this.acceptedFrom.get(address) ?? 0) + 1);
    const connection: Connection = { socket, remote, key, idle: undefined, pins: 0 };
    this.connections.set(key, connection);
    this.touch(connection);
    socket.on('message', (raw: RawData) => this.receive(connection, toBuffer(raw)));
    // RFC 6455 pings (ws answers them) are keep-alives as much as RFC 5626 CRLFs are.
    socket.on('ping', () => this.touch(connection));
    socket.on('error', (err: Error & { code?: string }) => {
      // ws closes the connection itself after a protocol error (1009 for an oversize frame, 1002 for a
      // malformed one); the reason is the peer's fault, so one info line without a stack.
      this.options.log.info(
        { remote: key, code: err.code, reason: err.message },
        `${this.protocol} protocol error, connection closed`,
      );
    });
    socket.on('close', () => {
      clearTimeout(connection.idle);
      if (this.connections.get(key) === connection) this.connections.delete(key);
      const left = (this.acceptedFrom.get(address) ?? 1) - 1;
      if (left > 0) this.acceptedFrom.set(address, left);
      else this.acceptedFrom.delete(address);
    });
  }

  private receive(connection: Connection, data: Buffer): void {
    this.touch(connection);
    switch (classifyFrame(data)) {
      case 'ping':
        connection.socket.send(KEEPALIVE_PONG, { binary: false });
        return;
      case 'pong':
        return;
      case 'not-sip': {
        const entry = { remote: connection.key, reason: 'websocket message is not SIP' };
        const message = 'malformed message, closing connection';
        if (this.options.onMalformed) this.options.onMalformed(message, entry);
        else this.options.log.info(entry, message);
        connection.socket.close(CLOSE_UNSUPPORTED_DATA, 'not a SIP message');
        return;
      }
      case 'sip':
        this.options.onMessage({ data, remote: connection.remote, transport: this });
    }
  }

  /** Restarts the idle timer; a pinned connection is not closed for idling. */
  private touch(connection: Connection): void {
    clearTimeout(connection.idle);
    connection.idle = setTimeout(() => {
      if (connection.pins > 0) return this.touch(connection);
      this.options.log.debug({ remote: connection.key }, `${this.protocol} connection idle, closing`);
      connection.socket.close(CLOSE_NORMAL, 'idle');
    }, this.idleTimeoutMs).unref();
  }
}

function keyOf(peer: Peer): string {
  return `${peer.address}:${peer.port}`;
}

function toBuffer(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (Array.isArray(raw)) return Buffer.concat(raw);
  return Buffer.from(raw);
}
