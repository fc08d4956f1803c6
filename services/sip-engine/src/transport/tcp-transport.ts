import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '@callctl/logging';
import {
  SipParseError,
  SipRequest,
  StreamFramer,
  buildResponse,
  parseMessage,
  serializeMessage,
} from '@callctl/sip';
import type { InboundHandler, Peer, SipTransport } from './transport.js';

export interface TcpTransportOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  log: Logger;
  onMessage: InboundHandler;
  /** Host to announce instead of the bound address (see SipTransport.advertised). */
  advertisedHost?: string;
  /** Close a connection with no traffic for this long. @default 120_000 */
  idleTimeoutMs?: number;
  /**
   * A message must arrive whole within this from its first byte, or the connection is closed. Unlike the
   * idle timeout it does not restart per byte: a peer trickling one byte at a time cannot hold a connection.
   * @default 10_000
   */
  messageTimeoutMs?: number;
  /** Whether a connection from this remote IP address is closed at once (a banned source). @default none */
  refuse?: (address: string) => boolean;
  /** Connections accepted from one remote IP address at a time; the excess is closed at once. @default 100 */
  maxConnectionsPerAddress?: number;
  /**
   * Where a message that broke the framing is reported (the engine counts it with the front door's
   * malformed input and logs at a bounded rate). @default one info line on `log`
   */
  onMalformed?: (message: string, entry: { remote: string; reason: string }) => void;
}

export const DEFAULT_TCP_IDLE_TIMEOUT_MS = 120_000;
export const DEFAULT_TCP_MESSAGE_TIMEOUT_MS = 10_000;
export const DEFAULT_TCP_MAX_CONNECTIONS_PER_ADDRESS = 100;

/**
 * SIP over TCP. Connections are kept per remote `address:port`, whoever opened them, so requests and
 * responses to a peer reuse its connection (RFC 3261 §18). Messages are framed by Content-Length; a framing
 * error closes that connection only.
 */
export class TcpTransport implements SipTransport {
  readonly protocol = 'tcp';
  readonly reliable = true;
  advertised: Peer | undefined;
  private readonly connections = new Map<string, Socket>();
  private readonly pending = new Map<string, Promise<Socket>>();
  /** Accepted connections per remote IP address, for maxConnectionsPerAddress. */
  private readonly acceptedFrom = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly local: Peer,
    private readonly options: TcpTransportOptions,
  ) {}

  static async listen(options: TcpTransportOptions): Promise<TcpTransport> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('tcp listener has no address');
    const transport = new TcpTransport(server, { address: bound.address, port: bound.port }, options);
    if (options.advertisedHost) transport.advertised = { address: options.advertisedHost, port: bound.port };
    server.on('connection', (socket) => transport.accept(socket));
    return transport;
  }

  async send(data: Buffer, to: Peer): Promise<void> {
    const socket = await this.connection(to);
    await new Promise<void>((resolve, reject) =>
      socket.write(data, (err) => (err ? reject(err) : resolve())),
    );
  }

  isConnected(peer: Peer): boolean {
    const socket = this.connections.get(`${peer.address}:${peer.port}`);
    return socket !== undefined && !socket.destroyed;
  }

  async close(): Promise<void> {
    for (const socket of this.connections.values()) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connection(to: Peer): Promise<Socket> {
    const key = `${to.address}:${to.port}`;
    const open = this.connections.get(key);
    if (open && !open.destroyed) return Promise.resolve(open);
    const dialling = this.pending.get(key);
    if (dialling) return dialling;
    const promise = new Promise<Socket>((resolve, reject) => {
      const socket = connect({ host: to.address, port: to.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        this.adopt(socket);
        resolve(socket);
      });
    }).finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }

  /** A connection a peer opened: counted against its address's cap, refused beyond it. */
  private accept(socket: Socket): void {
    const address = socket.remoteAddress ?? '';
    if (this.options.refuse?.(address)) {
      socket.destroy();
      return;
    }
    const open = this.acceptedFrom.get(address) ?? 0;
    if (open >= (this.options.maxConnectionsPerAddress ?? DEFAULT_TCP_MAX_CONNECTIONS_PER_ADDRESS)) {
      this.options.log.debug({ address, open }, 'tcp connection refused: too many from this address');
      socket.destroy();
      return;
    }
    this.acceptedFrom.set(address, open + 1);
    socket.once('close', () => {
      const left = (this.acceptedFrom.get(address) ?? 1) - 1;
      if (left > 0) this.acceptedFrom.set(address, left);
      else this.acceptedFrom.delete(address);
    });
    this.adopt(socket);
  }

  private adopt(socket: Socket): void {
    const remote: Peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const key = `${remote.address}:${remote.port}`;
    this.connections.set(key, socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs ?? DEFAULT_TCP_IDLE_TIMEOUT_MS, () => socket.destroy());
    const framer = new StreamFramer({ onPing: () => socket.write('\r\n') });
    const messageTimeoutMs = this.options.messageTimeoutMs ?? DEFAULT_TCP_MESSAGE_TIMEOUT_MS;
    let messageDeadline: NodeJS.Timeout | undefined;
    const clearDeadline = () => {
      clearTimeout(messageDeadline);
      messageDeadline = undefined;
    };
    socket.on('data', (chunk) => {
      let messages: Buffer[];
      try {
        messages = framer.push(chunk);
      } catch (err) {
        clearDeadline();
        // Malformed input is the peer's fault: one info line with the reason, no stack.
        if (err instanceof SipParseError) {
          const entry = { remote: key, reason: err.reason };
          const message = 'malformed message, closing connection';
          if (this.options.onMalformed) this.options.onMalformed(message, entry);
          else this.options.log.info(entry, message);
        } else {
          this.options.log.warn({ err, remote: key }, 'tcp framing error, closing connection');
        }
        // The stream cannot be resynchronised, but a request whose headers arrived whole still gets a
        // final answer naming the problem (e.g. a missing Content-Length) before the connection closes.
        const answer =
          err instanceof SipParseError ? framingErrorResponse(err, framer.unframed()) : undefined;
        if (answer === undefined) socket.destroy();
        else {
          socket.end(answer);
          setTimeout(() => socket.destroy(), CLOSE_AFTER_ANSWER_MS).unref();
        }
        return;
      }
      for (const data of messages) this.options.onMessage({ data, remote, transport: this });
      // The deadline runs from the first byte of the message being received: armed when one starts,
      // re-armed when a chunk completed one and began the next, gone once nothing is held.
      if (framer.pendingBytes === 0) clearDeadline();
      else if (messageDeadline === undefined || messages.length > 0) {
        clearDeadline();
        messageDeadline = setTimeout(() => {
          this.options.log.debug(
            { remote: key, pendingBytes: framer.pendingBytes, messageTimeoutMs },
            'tcp message not completed in time, closing connection',
          );
          socket.destroy();
        }, messageTimeoutMs).unref();
      }
    });
    socket.on('error', (err) => this.options.log.debug({ err, remote: key }, 'tcp socket error'));
    socket.on('close', () => {
      clearDeadline();
      if (this.connections.get(key) === socket) this.connections.delete(key);
    });
  }
}

/** How long a peer has to read the answer to a message that broke the framing before the socket goes. */
const CLOSE_AFTER_ANSWER_MS = 1000;

/** The final response to the request at the head of an unframeable stream, if its headers can be read. */
function framingErrorResponse(error: SipParseError, unframed: Buffer): Buffer | undefined {
  let message;
  try {
    message = parseMessage(unframed, { ignoreContentLength: true });
  } catch {
    return undefined;
  }
  if (!(message instanceof SipRequest) || message.method === 'ACK') return undefined;
  return serializeMessage(buildResponse(message, error.status, error.message));
}
