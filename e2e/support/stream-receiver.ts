// A customer's media-stream endpoint for end-to-end tests (issue 18): a `ws` WebSocket server on loopback,
// plain or TLS with a certificate of the test's own CA, that keeps every message the stream gateway sends,
// checks each one's JSON shape against the contract's message set, decodes the base64 `media` payloads of
// each channel (PCMU or L16) into PCM for tone detection, and acts as the endpoints the tests need: one that
// stops reading (backpressure), goes away and comes back (reconnection), refuses the upgrade, or sends audio,
// `clear` and `mark` back (bidirectional).
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { decodeMulaw, encodeMulaw, toneRatio, waitFor, type CertificateFiles } from '@callctl/testing';
import { WebSocketServer, type WebSocket } from 'ws';

/** One message as the gateway sent it (a parsed JSON text frame), with when it arrived here. */
export interface StreamMessage {
  event: string;
  sequenceNumber: number;
  streamId: string;
  /** Date.now() at arrival. */
  receivedAt: number;
  [field: string]: unknown;
}

export interface Participant {
  channel: string;
  legId: string;
  role: string;
  from: string;
  to: string;
  held: boolean;
}

export interface StartBody {
  callId: string;
  legIds: string[];
  participants: Participant[];
  tracks: string;
  mediaFormat: { encoding: string; sampleRate: number; channels: number };
  bidirectional: boolean;
  customParameters: Record<string, string>;
  context: Record<string, unknown>;
  reconnects: number;
}

export interface MediaBody {
  channel: string;
  chunk: number;
  timestamp: number;
  payload: string;
}

/** A `media` body with its message's arrival time here (Date.now()). */
export type MediaFrame = MediaBody & { receivedAt: number };

/** What a message's body is, per event: `msg.start`, `msg.media`, … */
export const bodyOf = <T>(message: StreamMessage): T => message[message.event] as T;

const ENCODINGS = ['audio/x-mulaw', 'audio/l16'];
const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function participantProblems(p: unknown, where: string): string[] {
  if (!isObject(p)) return [`${where} is not an object`];
  const problems: string[] = [];
  for (const field of ['channel', 'legId', 'role', 'from', 'to'])
    if (!isString(p[field])) problems.push(`${where}.${field} is not a string`);
  if (typeof p.held !== 'boolean') problems.push(`${where}.held is not a boolean`);
  if (isString(p.role) && !['caller', 'callee', 'participant'].includes(p.role))
    problems.push(`${where}.role ${p.role}`);
  return problems;
}

/** What is wrong with a message's shape under the contract ([] when nothing). */
export function shapeProblems(m: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (!isString(m.event)) return ['no event'];
  if (!Number.isInteger(m.sequenceNumber) || (m.sequenceNumber as number) < 1)
    problems.push('sequenceNumber is not a positive integer');
  if (!isString(m.streamId) || !/^str-[0-9a-f]{32}$/.test(m.streamId))
    problems.push(`streamId ${m.streamId}`);
  const body = m[m.event];
  switch (m.event) {
    case 'connect':
      if (m.protocol !== 'callctl.stream' || m.version !== '1') problems.push('connect: protocol/version');
      break;
    case 'start': {
      if (!isObject(body)) return [...problems, 'start: no body'];
      if (!isString(body.callId)) problems.push('start.callId');
      if (!Array.isArray(body.legIds) || !body.legIds.every(isString)) problems.push('start.legIds');
      if (!Array.isArray(body.participants)) problems.push('start.participants');
      else
        body.participants.forEach((p, i) =>
          problems.push(...participantProblems(p, `start.participants[${i}]`)),
        );
      if (!['per-participant', 'mixed'].includes(body.tracks as string)) problems.push('start.tracks');
      const format = body.mediaFormat;
      if (
        !isObject(format) ||
        !ENCODINGS.includes(format.encoding as string) ||
        ![8000, 16000].includes(format.sampleRate as number) ||
        format.channels !== 1
      )
        problems.push('start.mediaFormat');
      if (typeof body.bidirectional !== 'boolean') problems.push('start.bidirectional');
      if (!isObject(body.customParameters)) problems.push('start.customParameters');
      if (!isObject(body.context)) problems.push('start.context');
      if (!isCount(body.reconnects)) problems.push('start.reconnects');
      break;
    }
    case 'metadata':
      if (!isObject(body)) return [...problems, 'metadata: no body'];
      if (!isString(body.reason)) problems.push('metadata.reason');
      if (!Array.isArray(body.participants)) problems.push('metadata.participants');
      else
        body.participants.forEach((p, i) =>
          problems.push(...participantProblems(p, `metadata.participants[${i}]`)),
        );
      if (!isObject(body.context)) problems.push('metadata.context');
      break;
    case 'dtmf':
      if (!isObject(body)) return [...problems, 'dtmf: no body'];
      if (!isString(body.channel) || body.channel !== body.legId) problems.push('dtmf.channel/legId');
      if (!isString(body.digit) || !/^[0-9*#A-D]$/.test(body.digit))
        problems.push(`dtmf.digit ${body.digit}`);
      if (!isCount(body.durationMs)) problems.push('dtmf.durationMs');
      break;
    case 'media':
      if (!isObject(body)) return [...problems, 'media: no body'];
      if (!isString(body.channel)) problems.push('media.channel');
      if (!Number.isInteger(body.chunk) || (body.chunk as number) < 1) problems.push('media.chunk');
      if (!isCount(body.timestamp)) problems.push('media.timestamp');
      if (!isString(body.payload) || !/^[A-Za-z0-9+/]*={0,2}$/.test(body.payload))
        problems.push('media.payload');
      break;
    case 'mark':
      if (!isObject(body) || !isString(body.name)) problems.push('mark.name');
      break;
    case 'close':
      if (!isObject(body) || !isString(body.reason)) problems.push('close.reason');
      break;
    default:
      problems.push(`unknown event ${m.event}`);
  }
  return problems;
}

/** PCM samples (16-bit) of one payload in the stream's encoding. */
export function decodePayload(payload: string, encoding: string): number[] {
  const bytes = Buffer.from(payload, 'base64');
  if (encoding === 'audio/x-mulaw') return [...bytes].map(decodeMulaw);
  const samples: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) samples.push(bytes.readInt16LE(i));
  return samples;
}

/**
 * Relative power of `hz` in samples at `rateHz`: @callctl/testing's Goertzel works at 8 kHz, and the
 * coefficient depends only on hz / rate, so 16 kHz audio is measured at half the frequency.
 */
export const toneRatioAt = (samples: readonly number[], hz: number, rateHz: number) =>
  toneRatio(samples, (hz * 8000) / rateHz);

/** A PCMU (or L16 little-endian) payload of `ms` of a sine at `hz`, 8 kHz, continuing at sample `phase`. */
export function tonePayload(
  hz: number,
  ms: number,
  options: { encoding?: 'pcmu' | 'l16'; peak?: number; phase?: number; rateHz?: number } = {},
): Buffer {
  const rate = options.rateHz ?? 8000;
  const n = (rate * ms) / 1000;
  const peak = options.peak ?? 8000;
  const phase = options.phase ?? 0;
  const sample = (i: number) => peak * Math.sin((2 * Math.PI * hz * (phase + i)) / rate);
  if (options.encoding === 'l16') {
    const out = Buffer.alloc(2 * n);
    for (let i = 0; i < n; i++) out.writeInt16LE(Math.round(sample(i)), 2 * i);
    return out;
  }
  return Buffer.from(Array.from({ length: n }, (_, i) => encodeMulaw(sample(i))));
}

/** One WebSocket the gateway opened to the receiver. */
export class StreamConnection {
  readonly messages: StreamMessage[] = [];
  /** Text that was not JSON, or messages whose shape is wrong, with the reason. */
  readonly problems: string[] = [];
  closed: { code: number; reason: string; at: number } | undefined;
  /** When each `media` frame was sent back (Date.now()), in order. */
  readonly sentFrames: number[] = [];
  private pacer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: WebSocket,
    readonly headers: IncomingHttpHeaders,
  ) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        this.problems.push('a binary frame');
        return;
      }
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        this.problems.push(`not JSON: ${data.toString().slice(0, 200)}`);
        return;
      }
      const wrong = shapeProblems(parsed);
      if (wrong.length > 0)
        this.problems.push(`${JSON.stringify(parsed).slice(0, 300)}: ${wrong.join('; ')}`);
      this.messages.push({ ...parsed, receivedAt: Date.now() } as StreamMessage);
    });
    socket.on('close', (code, reason) => {
      this.stopSending();
      this.closed = { code, reason: reason.toString(), at: Date.now() };
    });
    socket.on('error', () => undefined);
  }

  /**
   * Stops reading: the socket is paused, so the kernel's buffers fill and the gateway's writes back up
   * (backpressure); `resume` reads again.
   */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /**
   * Sends `audio` back as `media` messages of `frameBytes` each: `paced` one every 20 ms on the clock (as a
   * voice bot streaming as it speaks), else all at once (a bot sending a whole utterance). Resolves when all
   * were sent.
   */
  sendAudio(audio: Buffer, options: { frameBytes: number; paced: boolean }): Promise<void> {
    const frames: Buffer[] = [];
    for (let i = 0; i < audio.length; i += options.frameBytes)
      frames.push(audio.subarray(i, i + options.frameBytes));
    const sendFrame = (frame: Buffer) => {
      this.send({ event: 'media', media: { payload: frame.toString('base64') } });
      this.sentFrames.push(Date.now());
    };
    if (!options.paced) {
      frames.forEach(sendFrame);
      return Promise.resolve();
    }
    this.stopSending();
    return new Promise((resolve) => {
      const start = performance.now();
      let sent = 0;
      const tick = () => {
        const due = Math.min(frames.length, Math.floor((performance.now() - start) / 20) + 1);
        for (; sent < due; sent++) sendFrame(frames[sent]!);
        if (sent >= frames.length) {
          this.pacer = undefined;
          resolve();
          return;
        }
        this.pacer = setTimeout(tick, Math.max(0, start + sent * 20 - performance.now()));
      };
      tick();
    });
  }

  /** Stops a paced sendAudio (what was sent stays sent). */
  stopSending(): void {
    if (this.pacer) clearTimeout(this.pacer);
    this.pacer = undefined;
  }

  clear(): void {
    this.send({ event: 'clear' });
  }

  mark(name: string): void {
    this.send({ event: 'mark', mark: { name } });
  }

  /** Closes with a close frame (the endpoint ending the stream itself). */
  close(code = 1000, reason = 'bye'): void {
    this.socket.close(code, reason);
  }

  /** Drops the TCP connection without a close frame (the endpoint crashed, the network broke). */
  terminate(): void {
    this.socket.terminate();
  }
}

export interface StreamReceiverOptions {
  /** Serve wss:// with this certificate (a leaf of the test's CA, or one the gateway does not trust). */
  tls?: CertificateFiles;
  /** Answer every upgrade with this HTTP status instead of accepting it. */
  refuseWith?: number;
}

/**
 * The customer's endpoint: every connection the gateway opened, and the messages of each stream (a stream
 * keeps its id over reconnections, so its messages are gathered from every connection that carried it).
 */
export class StreamReceiver {
  readonly connections: StreamConnection[] = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private server: Server;
  private sockets = new Set<Duplex>();

  private constructor(
    readonly port: number,
    server: Server,
    private readonly options: StreamReceiverOptions,
  ) {
    this.server = server;
  }

  static async open(options: StreamReceiverOptions = {}): Promise<StreamReceiver> {
    const server = StreamReceiver.makeServer(options);
    const port = await StreamReceiver.listen(server, 0);
    const receiver = new StreamReceiver(port, server, options);
    receiver.attach(server);
    return receiver;
  }

  private static makeServer(options: StreamReceiverOptions): Server {
    return options.tls
      ? createHttpsServer({
          cert: readFileSync(options.tls.certFile),
          key: readFileSync(options.tls.keyFile),
        })
      : createHttpServer();
  }

  private static listen(server: Server, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  }

  private attach(server: Server): void {
    server.on('connection', (socket: Duplex) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('secureConnection', (socket: Duplex) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('upgrade', (request, socket, head) => {
      if (this.options.refuseWith) {
        socket.end(`HTTP/1.1 ${this.options.refuseWith} Refused\r\nConnection: close\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        this.connections.push(new StreamConnection(ws, request.headers));
      });
    });
  }

  /** ws://127.0.0.1:<port><path> (wss:// with TLS). */
  url(path = '/stream'): string {
    return `${this.options.tls ? 'wss' : 'ws'}://127.0.0.1:${this.port}${path}`;
  }

  /** The connections that carried `streamId` (its first message names it), in order. */
  connectionsOf(streamId: string): StreamConnection[] {
    return this.connections.filter((c) => c.messages[0]?.streamId === streamId);
  }

  /** Every message of one stream, over all its connections, in arrival order. */
  messagesOf(streamId: string): StreamMessage[] {
    return this.connectionsOf(streamId).flatMap((c) => c.messages);
  }

  /** The first message of `event` of the stream satisfying `match`. */
  message(
    streamId: string,
    event: string,
    match: (m: StreamMessage) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<StreamMessage> {
    return waitFor(
      `a ${event} message of ${streamId}`,
      () => this.messagesOf(streamId).find((m) => m.event === event && match(m)),
      timeoutMs,
      10,
    ).catch((error: unknown) => {
      const seen = this.messagesOf(streamId).map((m) => m.event);
      const counts = [...new Set(seen)].map((e) => `${e}×${seen.filter((s) => s === e).length}`);
      throw new Error(`${String(error)}; received ${counts.join(', ') || 'nothing'}`);
    });
  }

  /** The stream's first connection (waits for it). */
  connection(streamId: string, timeoutMs = 10_000): Promise<StreamConnection> {
    return waitFor(`a connection of ${streamId}`, () => this.connectionsOf(streamId)[0], timeoutMs, 10);
  }

  /** Every shape problem seen, over all connections. */
  problems(): string[] {
    return this.connections.flatMap((c) => c.problems);
  }

  /** The stream's `media` messages of one channel, in order, with when each arrived. */
  media(streamId: string, channel: string): MediaFrame[] {
    return this.messagesOf(streamId)
      .filter((m) => m.event === 'media')
      .map((m) => ({ ...bodyOf<MediaBody>(m), receivedAt: m.receivedAt }))
      .filter((m) => m.channel === channel);
  }

  /** The decoded PCM of one channel's last `frames` frames (all when omitted). */
  samples(streamId: string, channel: string, encoding: string, frames?: number): number[] {
    const media = this.media(streamId, channel);
    return (frames === undefined ? media : media.slice(-frames)).flatMap((m) =>
      decodePayload(m.payload, encoding),
    );
  }

  /**
   * Stops being there: no more connections accepted (the port is closed) and every open one dropped
   * without a close frame, as a crashed endpoint.
   */
  async goAway(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.terminate();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listens again on the same port after goAway. */
  async comeBack(): Promise<void> {
    this.server = StreamReceiver.makeServer(this.options);
    await StreamReceiver.listen(this.server, this.port);
    this.attach(this.server);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.terminate();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.wss.close();
  }
}
