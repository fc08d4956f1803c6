import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from '@callctl/logging';
import {
  AdminProtocolError,
  decodeAppMessage,
  messageIdOf,
  responsePayload,
  type AppMessage,
} from './codec.js';
import { encodeFrame, FrameDecoder } from './framing.js';

/**
 * One connected app. Writes go through a single ordered queue (the socket's own write order) so that an
 * `OK` echo always precedes any `sip` frame it causes (research §2.4). Decoding errors are answered with
 * `NO|<reason>` when a message id can be recovered and logged; only framing errors close the connection,
 * because after one the stream position is lost.
 */
export class AppConnection {
  readonly id = randomUUID();
  authenticated = false;
  tags: string[] = [];
  private readonly decoder: FrameDecoder;
  private closed = false;
  private corked = false;

  constructor(
    private readonly socket: Socket,
    private readonly log: Logger,
    private readonly onMessage: (conn: AppConnection, message: AppMessage) => void,
    private readonly onClose: (conn: AppConnection) => void,
    maxFrameBytes?: number,
  ) {
    this.decoder = new FrameDecoder({ maxFrameBytes });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (err) => this.log.debug({ err }, 'admin socket error'));
    socket.on('close', () => {
      this.closed = true;
      this.onClose(this);
    });
  }

  /** False once the socket closed: dialogs owned by a closed app answer in-dialog requests with 481. */
  get isOpen(): boolean {
    return !this.closed;
  }

  get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  send(payload: string): void {
    if (this.closed) return;
    // Frames written in one tick leave in one segment: fewer syscalls under load, same order.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(encodeFrame(payload));
  }

  respond(appMsgId: string, status: 'OK' | 'NO' | 'NOK', data: readonly string[] = [], sip?: string): void {
    this.send(responsePayload(randomUUID(), appMsgId, status, data, sip));
  }

  close(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    let payloads: string[];
    try {
      payloads = this.decoder.push(chunk);
    } catch (err) {
      this.log.warn({ err, app: this.remote }, 'admin framing error, closing connection');
      this.socket.destroy();
      return;
    }
    for (const payload of payloads) {
      let message: AppMessage;
      try {
        message = decodeAppMessage(payload);
      } catch (err) {
        const reason = err instanceof AdminProtocolError ? err.message : 'malformed message';
        this.log.warn({ app: this.remote, reason }, 'malformed admin message');
        const msgId = messageIdOf(payload);
        if (msgId) this.respond(msgId, 'NO', [reason]);
        continue;
      }
      try {
        this.onMessage(this, message);
      } catch (err) {
        // A bug in one handler must not take the engine down; the app still gets its one answer.
        this.log.error({ err, app: this.remote, type: message.type }, 'admin message handler failed');
        this.respond(message.msgId, 'NOK', ['internal error']);
      }
    }
  }
}
