// The connection table, framing and limits every stream transport shares (TCP and TLS): one place for
// Content-Length framing, CRLF keep-alive pongs, the per-message deadline, the idle timeout, the cap on
// connections per address and RFC 5923 aliases, so a fix to one reaches both.
import type { Socket } from 'node:net';
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

export interface StreamLimits {
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

export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 120_000;
export const DEFAULT_STREAM_MESSAGE_TIMEOUT_MS = 10_000;
export const DEFAULT_STREAM_MAX_CONNECTIONS_PER_ADDRESS = 100;

export interface StreamConnectionsOptions<S extends Socket> extends StreamLimits {
  /** `tcp` or `tls`: names the transport in log lines. */
  label: string;
  log: Logger;
  onMessage: InboundHandler;
  /** The transport messages are attributed to (responses go back through it). */
  transport: SipTransport;
  /** Opens a new connection to a peer; resolves once it can carry SIP (connected, handshake done). */
  dial: (to: Peer) => Promise<S>;
}

/**
 * Connections kept per remote `address:port`, whoever opened them, so requests and responses to a peer
 * reuse its connection (RFC 3261 §18). A framing error closes that connection only.
 */
export class StreamConnections<S extends Socket> {
  private readonly connections = new Map<string, S>();
  private readonly pending = new Map<string, Promise<S>>();
  /** Accepted connections per remote IP address, for maxConnectionsPerAddress. */
  private readonly acceptedFrom = new Map<string, number>();
  /** Holders keeping a connection open past the idle timeout (registered devices' flows, RFC 5626). */
  private readonly pins = new Map<S, number>();

  constructor(private readonly options: StreamConnectionsOptions<S>) {}

  get size(): number {
    return this.connections.size;
  }

  async send(data: Buffer, to: Peer): Promise<void> {
    const socket = await this.connection(to);
    await new Promise<void>((resolve, reject) =>
      socket.write(data, (err) => (err ? reject(err) : resolve())),
    );
  }

  isConnected(peer: Peer): boolean {
    const socket = this.connections.get(keyOf(peer));
    return socket !== undefined && !socket.destroyed;
  }

  /**
   * RFC 5923: a peer that put `alias` on its Via lets requests to its sent-by reuse the connection it opened
   * (`remote`), instead of us dialling back to its listening port. Ignored for an unknown connection.
   */
  alias(sentBy: Peer, remote: Peer): void {
    const socket = this.connections.get(keyOf(remote));
    const key = keyOf(sentBy);
    if (socket === undefined || socket.destroyed || key === keyOf(remote)) return;
    const open = this.connections.get(key);
    if (open !== undefined && !open.destroyed && open !== socket) return;
    this.connections.set(key, socket);
    socket.once('close', () => {
      if (this.connections.get(key) === socket) this.connections.delete(key);
    });
  }

  /**
   * Keeps the connection to `peer` open past the idle timeout until the returned release is called (RFC
   * 5626 §5: a registered device's flow lasts while its binding does); undefined when there is none.
   */
  pin(peer: Peer): (() => void) | undefined {
    const socket = this.connections.get(keyOf(peer));
    if (socket === undefined || socket.destroyed) return undefined;
    this.pins.set(socket, (this.pins.get(socket) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.pins.get(socket) ?? 1) - 1;
      if (left > 0) return void this.pins.set(socket, left);
      this.pins.delete(socket);
      // The idle clock starts again from the release: a connection idle for a long binding is not cut at once.
      if (!socket.destroyed) this.armIdle(socket);
    };
  }

  destroyAll(): void {
    for (const socket of this.connections.values()) socket.destroy();
  }

  /**
   * A connection a peer opened, before anything is read from it (for TLS: before the handshake): closed at
   * once from a refused source or beyond its address's cap. Returns whether it may go on.
   */
  admit(socket: Socket): boolean {
    const address = socket.remoteAddress ?? '';
    if (this.options.refuse?.(address)) {
      socket.destroy();
      return false;
    }
    const open = this.acceptedFrom.get(address) ?? 0;
    if (open >= (this.options.maxConnectionsPerAddress ?? DEFAULT_STREAM_MAX_CONNECTIONS_PER_ADDRESS)) {
      this.options.log.debug(
        { address, open },
        `${this.options.label} connection refused: too many from this address`,
      );
      socket.destroy();
      return false;
    }
    this.acceptedFrom.set(address, open + 1);
    socket.once('close', () => {
      const left = (this.acceptedFrom.get(address) ?? 1) - 1;
      if (left > 0) this.acceptedFrom.set(address, left);
      else this.acceptedFrom.delete(address);
    });
    return true;
  }

  /** Starts reading SIP off a connection (accepted or dialled) and keeps it for sends to its remote end. */
  adopt(socket: S): void {
    const { label, log } = this.options;
    const remote: Peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const key = keyOf(remote);
    this.connections.set(key, socket);
    socket.setNoDelay(true);
    this.armIdle(socket);
    socket.on('timeout', () => {
      if (!this.pins.has(socket)) socket.destroy();
    });
    const framer = new StreamFramer({ onPing: () => socket.write('\r\n') });
    const messageTimeoutMs = this.options.messageTimeoutMs ?? DEFAULT_STREAM_MESSAGE_TIMEOUT_MS;
    let messageDeadline: NodeJS.Timeout | undefined;
    const clearDeadline = () => {
      clearTimeout(messageDeadline);
      messageDeadline = undefined;
    };
    socket.on('data', (chunk: Buffer) => {
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
          else log.info(entry, message);
        } else {
          log.warn({ err, remote: key }, `${label} framing error, closing connection`);
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
      for (const data of messages)
        this.options.onMessage({ data, remote, transport: this.options.transport });
      // The deadline runs from the first byte of the message being received: armed when one starts,
      // re-armed when a chunk completed one and began the next, gone once nothing is held.
      if (framer.pendingBytes === 0) clearDeadline();
      else if (messageDeadline === undefined || messages.length > 0) {
        clearDeadline();
        messageDeadline = setTimeout(() => {
          log.info(
            { remote: key, pendingBytes: framer.pendingBytes, messageTimeoutMs },
            `${label} message not completed in time, closing connection`,
          );
          socket.destroy();
        }, messageTimeoutMs).unref();
      }
    });
    socket.on('error', (err) => log.debug({ err, remote: key }, `${label} socket error`));
    socket.on('close', () => {
      clearDeadline();
      this.pins.delete(socket);
      if (this.connections.get(key) === socket) this.connections.delete(key);
    });
  }

  /** (Re)starts the idle clock: `timeout` (one listener, set in adopt) closes it unless it is pinned then. */
  private armIdle(socket: S): void {
    socket.setTimeout(this.options.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS);
  }

  private connection(to: Peer): Promise<S> {
    const key = keyOf(to);
    const open = this.connections.get(key);
    if (open && !open.destroyed) return Promise.resolve(open);
    const dialling = this.pending.get(key);
    if (dialling) return dialling;
    const promise = this.options
      .dial(to)
      .then((socket) => {
        this.adopt(socket);
        return socket;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }
}

function keyOf(peer: Peer): string {
  return `${peer.address}:${peer.port}`;
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
