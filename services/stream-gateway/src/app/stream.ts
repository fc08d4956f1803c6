// One media stream: the parties' forks in, `media` messages out to the endpoint, on the gateway's clock;
// the WebSocket's life (connect, start, reconnection, close) and, for a bidirectional stream, the audio the
// endpoint sends back, played into the call as paced RTP. Everything a stream does happens on the event
// loop's thread through tick() and the socket's events, so nothing here needs a lock.
import { randomInt } from 'node:crypto';
import { callEvents } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import {
  buildRtpPacket,
  decodeG711Into,
  encodeG711Into,
  mixFrames,
  type OpenRtpSocket,
  type RtpSocket,
} from '@callctl/rtp';
import type { ForkPort } from '@callctl/service';
import { EndpointAudio } from '../domain/endpoint-audio.js';
import { encodeFrameInto } from '../domain/frame-encoding.js';
import {
  MIXED_CHANNEL,
  PROTOCOL,
  PROTOCOL_VERSION,
  mediaFormatMessage,
  parseEndpointMessage,
  participantMessage,
  serialize,
  type OutboundBody,
} from '../domain/messages.js';
import { PlayoutQueue } from '../domain/playout-queue.js';
import { reconnectDelay } from '../domain/reconnect-schedule.js';
import { SendQueue } from '../domain/send-queue.js';
import {
  closedFact,
  connectedFact,
  connectionLostFact,
  openFailedFact,
  type StreamCounters,
} from '../domain/stream-facts.js';
import { frameBytes, frameSamples, type Participant, type StreamSpec } from '../domain/stream-spec.js';
import { ChannelInput } from './channel-input.js';
import type { ConnectEndpoint, EndpointSocket, StreamFactSink } from './ports.js';

export const FRAME_MS = 20;
/** A mark is echoed this long after the last frame before it was sent: the mixer's playout. */
export const MARK_PLAYOUT_MS = 40;
/** How long a closing stream waits for the endpoint's close frame before cutting the socket. */
const CLOSE_WAIT_MS = 1000;
/** Bytes a `media` message adds to its base64 payload (field names, ids, numbers): a generous estimate. */
const MEDIA_MESSAGE_OVERHEAD = 160;
/** Bad messages from the endpoint are logged at most once per this many. */
const INVALID_LOG_EVERY = 100;

export interface StreamSettings {
  bufferMs: number;
  playoutMaxMs: number;
  reconnectWindowMs: number;
  /** Where the forks are sent (this host, as rtpengine reaches it). */
  rtpHost: string;
}

export interface StreamDependencies {
  forks: ForkPort;
  openRtpSocket: OpenRtpSocket;
  connect: ConnectEndpoint;
  facts: StreamFactSink;
  /** Monotonic ms (the clock's and the sockets' time source). */
  now(): number;
  log: Logger;
  /** The stream ended (closed, failed): the registry forgets it. */
  onEnded(stream: Stream): void;
}

interface Channel {
  participant: Participant;
  socket: RtpSocket;
  input: ChannelInput;
  forkId: string;
  /** `media` frames of this channel so far (`chunk` of the next one - 1). */
  chunks: number;
  /** `timestamp` of the next frame while the party plays; undefined: not playing (re-anchored at start). */
  nextTimestamp: number | undefined;
}

type Connection = 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed';

interface MediaItem {
  body: OutboundBody;
  media: boolean;
}

export class Stream {
  private readonly channels = new Map<string, Channel>();
  private readonly queue: SendQueue<MediaItem>;
  private readonly frameOut: Buffer;
  private readonly mixed: Int16Array;
  private readonly accumulator: Int32Array;
  private socket: EndpointSocket | undefined;
  private connection: Connection = 'connecting';
  private paused = false;
  /** The call's context for `start` and `metadata` (UpdateStream merges into it). */
  private context: Record<string, string> = {};
  private sequence = 0;
  /** When the first `start` was sent (monotonic ms); media timestamps count from it. */
  private startedAtMs: number | undefined;
  private mixedChunks = 0;
  private mixedNextTimestamp: number | undefined;
  private readonly counters: StreamCounters = { framesSent: 0, framesDropped: 0, reconnects: 0 };
  private breaks = 0;
  private invalidMessages = 0;
  private ignoredMessages = 0;
  private readonly log: Logger;
  // Bidirectional: the endpoint's audio back.
  private readonly endpointAudio: EndpointAudio;
  private readonly playout: PlayoutQueue;
  private output: { host: string; port: number; payloadType: number } | undefined;
  private readonly outputSsrc = randomInt(1, 0x7fffffff);
  private outputSequence = randomInt(0, 0xffff);
  private outputTimestamp = randomInt(0, 0x7fffffff);
  private outputMarker = true;
  private lastPlayedAtMs = -Infinity;
  /** When any fork last brought a packet (monotonic ms); the stream's start before the first. */
  private lastPacketAtMs: number;
  private readonly pendingMarks: { name: string; dueAtMs: number }[] = [];
  private ended: Promise<void> | undefined;

  constructor(
    readonly spec: StreamSpec,
    private readonly settings: StreamSettings,
    private readonly deps: StreamDependencies,
  ) {
    this.log = deps.log.child({ streamId: spec.streamId, callId: spec.callId });
    this.queue = new SendQueue<MediaItem>(0);
    this.frameOut = Buffer.alloc(frameBytes(spec.format));
    this.mixed = new Int16Array(frameSamples(spec.format));
    this.accumulator = new Int32Array(frameSamples(spec.format));
    this.endpointAudio = new EndpointAudio(spec.format);
    this.playout = new PlayoutQueue(Math.max(1, Math.floor(settings.playoutMaxMs / FRAME_MS)));
    this.lastPacketAtMs = deps.now();
  }

  get streamId(): string {
    return this.spec.streamId;
  }

  get isEnded(): boolean {
    return this.connection === 'closing' || this.connection === 'closed';
  }

  /** Counters now (frames dropped include those the endpoint's audio back lost to the playout bound). */
  stats() {
    return {
      ...this.counters,
      framesDropped: this.counters.framesDropped + this.queue.dropped,
      playoutDropped: this.playout.dropped,
      queuedBytes: this.queue.bytes,
      invalidMessages: this.invalidMessages,
      ignoredMessages: this.ignoredMessages,
      channels: [...this.channels.values()].map((c) => ({ legId: c.participant.legId, ...c.input.stats() })),
    };
  }

  // ---- forks ----

  /** Opens a socket and a fork per participant; a failure undoes what was made and throws. */
  async openForks(participants: readonly Participant[]): Promise<void> {
    try {
      for (const participant of participants) await this.addChannel(participant);
    } catch (error) {
      await this.closeForks();
      throw error;
    }
    this.resizeBudget();
  }

  /** How long no fork of the stream has brought a packet (ms): a hold, or a call that is gone. */
  silentForMs(nowMs: number): number {
    return nowMs - this.lastPacketAtMs;
  }

  /** The media sessions the stream's forks are in. */
  mediaSessions(): string[] {
    return [...new Set([...this.channels.values()].map((c) => c.participant.sessionId))];
  }

  private async addChannel(participant: Participant): Promise<void> {
    const forkId = `${this.spec.streamId}-${participant.legId}`;
    const holder: { channel?: Channel } = {};
    const socket = await this.deps.openRtpSocket((packet, arrivedAtMs) => {
      this.lastPacketAtMs = arrivedAtMs;
      holder.channel?.input.push(packet, arrivedAtMs);
    });
    try {
      const [forked] = await this.deps.forks.startFork({
        callId: this.spec.callId,
        sessionId: participant.sessionId,
        forkId,
        fromTags: [participant.tag],
        sinkAddress: this.settings.rtpHost,
        sinkPorts: [socket.address.port],
        // A 16 kHz stream takes G.722 as it is; an 8 kHz one asks for G.711.
        wideband: this.spec.format.sampleRate === 16000,
      });
      if (!forked) throw new Error(`the media-worker forked nothing for ${participant.legId}`);
      const passthrough = this.passesThrough(forked.codec);
      const channel: Channel = {
        participant,
        socket,
        input: new ChannelInput(forked, this.spec.format.sampleRate, passthrough),
        forkId,
        chunks: 0,
        nextTimestamp: undefined,
      };
      holder.channel = channel;
      this.channels.set(participant.legId, channel);
      this.log.info(
        { legId: participant.legId, port: socket.address.port, codec: forked.codec, passthrough },
        'fork in place',
      );
    } catch (error) {
      await socket.close();
      throw error;
    }
  }

  /**
   * The party's media moved (a bridge or transfer put its leg in another rtpengine session or under another
   * tag): its fork is made again where it is now, into the same socket, the channel's chunks and timeline
   * going on. The old fork would otherwise go silent for good.
   */
  private async moveChannel(channel: Channel, participant: Participant): Promise<void> {
    await this.deps.forks
      .stopFork(channel.participant.sessionId, channel.forkId)
      .catch((error: unknown) =>
        this.log.warn({ err: error, legId: participant.legId }, 'StopFork of the moved party failed'),
      );
    const [forked] = await this.deps.forks.startFork({
      callId: this.spec.callId,
      sessionId: participant.sessionId,
      forkId: channel.forkId,
      fromTags: [participant.tag],
      sinkAddress: this.settings.rtpHost,
      sinkPorts: [channel.socket.address.port],
      wideband: this.spec.format.sampleRate === 16000,
    });
    if (!forked) throw new Error(`the media-worker forked nothing for ${participant.legId}`);
    channel.participant = participant;
    channel.input = new ChannelInput(forked, this.spec.format.sampleRate, this.passesThrough(forked.codec));
    this.log.info({ legId: participant.legId, sessionId: participant.sessionId }, 'fork moved');
  }

  /** A PCMU fork into a PCMU per-participant stream: its bytes go out as they came. */
  private passesThrough(codec: string): boolean {
    return codec === 'PCMU' && this.spec.format.encoding === 'PCMU' && this.spec.tracks === 'per-participant';
  }

  private async removeChannel(channel: Channel): Promise<void> {
    this.channels.delete(channel.participant.legId);
    await this.deps.forks
      .stopFork(channel.participant.sessionId, channel.forkId)
      .catch((error: unknown) =>
        this.log.warn(
          { err: error, legId: channel.participant.legId },
          'StopFork failed (the fork ends with the call)',
        ),
      );
    await channel.socket.close();
  }

  private async closeForks(): Promise<void> {
    await Promise.all([...this.channels.values()].map((channel) => this.removeChannel(channel)));
  }

  /** The buffer's budget: STREAM_BUFFER_MS of this stream's `media` messages (every channel). */
  private resizeBudget(): void {
    const channels = this.spec.tracks === 'mixed' ? 1 : Math.max(1, this.channels.size);
    const messageBytes = Math.ceil(frameBytes(this.spec.format) / 3) * 4 + MEDIA_MESSAGE_OVERHEAD;
    this.queue.capacityBytes = Math.floor(this.settings.bufferMs / FRAME_MS) * channels * messageBytes;
  }

  // ---- the WebSocket ----

  /** Connects in the background: StreamConnected, or StreamOpenFailed and the stream ends. */
  start(): void {
    void this.connectOnce().then(
      () => this.announce(),
      (error: unknown) => {
        if (this.isEnded) return;
        const reason = error instanceof Error ? error.message : String(error);
        this.log.warn({ reason }, 'stream endpoint did not open');
        this.deps.facts.report(openFailedFact(this.base(), reason));
        void this.finish();
      },
    );
  }

  private async connectOnce(): Promise<void> {
    const socket = await this.deps.connect(
      { url: this.spec.url, authorization: this.spec.authorization },
      {
        onMessage: (text) => this.onEndpointMessage(socket, text),
        onClose: (byEndpoint, detail) => this.onSocketClosed(socket, byEndpoint, detail),
      },
    );
    // CloseStream while connecting: this socket is not wanted any more.
    if (this.isEnded) {
      socket.terminate();
      throw new Error('closed while connecting');
    }
    this.socket = socket;
  }

  /** `connect` and `start` ahead of whatever waits, then StreamConnected. */
  private announce(): void {
    const reconnects = this.counters.reconnects;
    this.startedAtMs ??= this.deps.now();
    this.connection = 'open';
    this.queue.pushFront(this.startBody(reconnects), 0);
    this.queue.pushFront(
      { body: { event: 'connect', protocol: PROTOCOL, version: PROTOCOL_VERSION }, media: false },
      0,
    );
    this.flush();
    this.deps.facts.report(connectedFact(this.base(), reconnects));
    this.log.info({ reconnects, url: this.spec.url.origin }, 'stream connected');
  }

  private startBody(reconnects: number): MediaItem {
    const participants = [...this.channels.values()].map((c) => participantMessage(c.participant));
    return {
      media: false,
      body: {
        event: 'start',
        start: {
          callId: this.spec.callId,
          legIds: participants.map((p) => p.legId),
          participants,
          tracks: this.spec.tracks,
          mediaFormat: mediaFormatMessage(this.spec.format),
          bidirectional: this.spec.bidirectional,
          customParameters: { ...this.spec.customParameters },
          context: { ...this.context },
          reconnects,
        },
      },
    };
  }

  private onSocketClosed(socket: EndpointSocket, byEndpoint: boolean, detail: string): void {
    if (socket !== this.socket || this.isEnded) return;
    this.socket = undefined;
    if (byEndpoint) {
      this.log.info({ detail }, 'the endpoint closed the stream');
      void this.end(
        callEvents.StreamStopReason.STREAM_STOP_REASON_ENDPOINT_GONE,
        `the endpoint closed the WebSocket: ${detail}`,
        false,
      );
      return;
    }
    this.connection = 'reconnecting';
    void this.reconnect(detail);
  }

  private async reconnect(reason: string): Promise<void> {
    const breakNumber = ++this.breaks;
    const brokeAt = this.deps.now();
    this.log.warn({ reason }, 'stream endpoint connection broke; reconnecting');
    let lastReason = reason;
    for (let attempt = 1; ; attempt++) {
      const delay = reconnectDelay(attempt, this.deps.now() - brokeAt, this.settings.reconnectWindowMs);
      if (delay === undefined) break;
      this.deps.facts.report(connectionLostFact(this.base(), breakNumber, attempt, lastReason));
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (this.isEnded) return;
      try {
        await this.connectOnce();
        this.counters.reconnects++;
        this.announce();
        return;
      } catch (error) {
        if (this.isEnded) return;
        lastReason = error instanceof Error ? error.message : String(error);
        this.log.info({ attempt, reason: lastReason }, 'reconnection attempt failed');
      }
    }
    await this.end(
      callEvents.StreamStopReason.STREAM_STOP_REASON_ENDPOINT_GONE,
      `reconnection gave up after ${Math.round(this.deps.now() - brokeAt)} ms: ${lastReason}`,
      false,
    );
  }

  private enqueue(body: OutboundBody): void {
    if (this.isEnded) return;
    this.queue.push({ body, media: false }, 0, false);
  }

  /** Hands queued messages to the socket while it keeps up; then holds the rest within the budget. */
  private flush(): void {
    const socket = this.connection === 'open' ? this.socket : undefined;
    if (socket) {
      // A quarter of the budget may sit in the socket (where nothing can be dropped any more); the rest
      // waits here, where the oldest frames can.
      const watermark = this.queue.capacityBytes / 4;
      while (this.queue.length > 0 && socket.bufferedAmount < watermark) {
        const item = this.queue.shift()!;
        this.send(socket, item);
      }
    }
    this.queue.enforce(socket?.bufferedAmount ?? 0);
  }

  private send(socket: EndpointSocket, item: MediaItem): void {
    socket.send(serialize(item.body, ++this.sequence, this.spec.streamId));
    if (item.media) this.counters.framesSent++;
  }

  // ---- the clock ----

  /** One 20 ms tick: each party's frame (or the mix) as `media`, the audio back played, marks echoed. */
  tick(nowMs: number): void {
    if (this.isEnded) return;
    if (this.spec.tracks === 'mixed') this.tickMixed(nowMs);
    else for (const channel of this.channels.values()) this.tickChannel(channel, nowMs);
    this.flush();
    if (this.spec.bidirectional) this.tickPlayout(nowMs);
  }

  private mediaAllowed(): boolean {
    // Before the first `start` there is no timeline; paused: nothing goes out (not counted as dropped).
    return this.startedAtMs !== undefined && !this.paused;
  }

  private tickChannel(channel: Channel, nowMs: number): void {
    if (!channel.input.take(nowMs)) {
      channel.nextTimestamp = undefined;
      return;
    }
    if (!this.mediaAllowed()) {
      // Paused: after resume the channel's timestamps start again from the clock (the pause shows).
      channel.nextTimestamp = undefined;
      return;
    }
    const timestamp = (channel.nextTimestamp ??= this.timelineMs(nowMs));
    channel.nextTimestamp = timestamp + FRAME_MS;
    const payload = channel.input.passthrough
      ? Buffer.from(channel.input.bytes).toString('base64')
      : this.encoded(channel.input.frame);
    this.queueMedia(channel.participant.legId, ++channel.chunks, timestamp, payload);
  }

  private tickMixed(nowMs: number): void {
    const sources: Int16Array[] = [];
    for (const channel of this.channels.values())
      if (channel.input.take(nowMs)) sources.push(channel.input.frame);
    if (sources.length === 0) {
      this.mixedNextTimestamp = undefined;
      return;
    }
    if (!this.mediaAllowed()) {
      this.mixedNextTimestamp = undefined;
      return;
    }
    mixFrames(sources, this.accumulator, this.mixed);
    const timestamp = (this.mixedNextTimestamp ??= this.timelineMs(nowMs));
    this.mixedNextTimestamp = timestamp + FRAME_MS;
    this.queueMedia(MIXED_CHANNEL, ++this.mixedChunks, timestamp, this.encoded(this.mixed));
  }

  /** Where `nowMs` is on the stream's timeline, on the 20 ms grid. */
  private timelineMs(nowMs: number): number {
    return Math.max(0, Math.round((nowMs - this.startedAtMs!) / FRAME_MS) * FRAME_MS);
  }

  private encoded(samples: Int16Array): string {
    const length = encodeFrameInto(this.spec.format, samples, this.frameOut);
    return this.frameOut.toString('base64', 0, length);
  }

  private queueMedia(channel: string, chunk: number, timestamp: number, payload: string): void {
    this.queue.push(
      { media: true, body: { event: 'media', media: { channel, chunk, timestamp, payload } } },
      payload.length + MEDIA_MESSAGE_OVERHEAD,
      true,
    );
  }

  // ---- bidirectional ----

  private onEndpointMessage(socket: EndpointSocket, text: string): void {
    if (socket !== this.socket || this.isEnded) return;
    if (!this.spec.bidirectional) {
      this.ignoredMessages++;
      return;
    }
    const message = parseEndpointMessage(text);
    switch (message.kind) {
      case 'media':
        // Paused: the audio back is not played (nor queued for later).
        if (this.paused) return;
        for (const frame of this.endpointAudio.push(message.payload)) this.playout.pushFrame(frame);
        return;
      case 'mark':
        this.playout.pushMark(message.name);
        return;
      case 'clear': {
        this.endpointAudio.reset();
        const marks = [...this.pendingMarks.splice(0).map((m) => m.name), ...this.playout.clear()];
        for (const name of marks) this.enqueue({ event: 'mark', mark: { name } });
        this.flush();
        return;
      }
      case 'invalid':
        if (this.invalidMessages++ % INVALID_LOG_EVERY === 0)
          this.log.warn(
            { reason: message.reason, invalidMessages: this.invalidMessages },
            'bad message from the endpoint',
          );
    }
  }

  connectOutput(host: string, port: number, payloadType: number): void {
    this.output = { host, port, payloadType };
    this.outputMarker = true;
  }

  private tickPlayout(nowMs: number): void {
    let sent = false;
    if (this.output && !this.paused) {
      const step = this.playout.take();
      for (const name of step.reached)
        this.pendingMarks.push({ name, dueAtMs: Math.max(nowMs, this.lastPlayedAtMs + MARK_PLAYOUT_MS) });
      if (step.frame) {
        this.sendRtp(step.frame);
        this.lastPlayedAtMs = nowMs;
        sent = true;
      }
    }
    this.outputTimestamp = (this.outputTimestamp + 160) >>> 0;
    if (!sent) this.outputMarker = true;
    let echoed = false;
    while (this.pendingMarks.length > 0 && this.pendingMarks[0]!.dueAtMs <= nowMs) {
      this.enqueue({ event: 'mark', mark: { name: this.pendingMarks.shift()!.name } });
      echoed = true;
    }
    if (echoed) this.flush();
  }

  private sendRtp(pcmu: Uint8Array): void {
    const output = this.output!;
    let payload = pcmu;
    if (output.payloadType === 8) {
      const samples = new Int16Array(pcmu.length);
      decodeG711Into('PCMU', pcmu, samples);
      payload = new Uint8Array(pcmu.length);
      encodeG711Into('PCMA', samples, payload);
    }
    const packet = buildRtpPacket(
      {
        payloadType: output.payloadType,
        marker: this.outputMarker,
        sequence: this.outputSequence,
        timestamp: this.outputTimestamp,
        ssrc: this.outputSsrc,
      },
      payload,
    );
    this.outputSequence = (this.outputSequence + 1) & 0xffff;
    this.outputMarker = false;
    // Any of the stream's sockets will do as the source: the mixer does not latch on audio it only receives.
    const socket = this.channels.values().next().value?.socket;
    socket?.send(packet, output.port, output.host);
  }

  // ---- commands ----

  async update(
    participants: readonly Participant[],
    reason: string,
    context: Record<string, string>,
  ): Promise<void> {
    const wanted = new Map(participants.map((p) => [p.legId, p]));
    for (const channel of [...this.channels.values()])
      if (!wanted.has(channel.participant.legId)) await this.removeChannel(channel);
    for (const participant of participants) {
      const channel = this.channels.get(participant.legId);
      if (!channel) await this.addChannel(participant);
      else if (
        channel.participant.sessionId !== participant.sessionId ||
        channel.participant.tag !== participant.tag
      )
        await this.moveChannel(channel, participant);
      else channel.participant = participant;
    }
    this.resizeBudget();
    Object.assign(this.context, context);
    this.enqueue({
      event: 'metadata',
      metadata: {
        reason,
        participants: participants.map(participantMessage),
        context: { ...this.context },
      },
    });
    this.flush();
  }

  dtmf(legId: string, digit: string, durationMs: number): void {
    this.enqueue({ event: 'dtmf', dtmf: { channel: legId, legId, digit, durationMs } });
    this.flush();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  setContext(context: Record<string, string>): void {
    this.context = { ...context };
  }

  /** `close` with the reason, close 1000, the forks stopped, then StreamClosed with the counters. */
  close(reason: callEvents.StreamStopReason, text: string): Promise<void> {
    return this.end(reason, text, true);
  }

  /** Ends the stream once; `sayClose`: send `close` (the endpoint is still there to hear it). */
  private end(reason: callEvents.StreamStopReason, text: string, sayClose: boolean): Promise<void> {
    this.ended ??= (async () => {
      const socket = this.connection === 'open' ? this.socket : undefined;
      this.connection = 'closing';
      if (socket && sayClose) {
        // The stream's last audio goes first while the endpoint keeps up, then `close`. Audio a lagging
        // endpoint has not taken stays behind, counted as dropped: queued behind up to 2 s of stale frames,
        // `close` and the close frame could miss a bounded shutdown (the peer then sees 1006, not 1000).
        // Messages that are not audio (dtmf, metadata) all go.
        const watermark = this.queue.capacityBytes / 4;
        while (this.queue.length > 0) {
          const item = this.queue.shift()!;
          if (item.media && socket.bufferedAmount >= watermark) this.counters.framesDropped++;
          else this.send(socket, item);
        }
        this.send(socket, { media: false, body: { event: 'close', close: { reason: text } } });
        await socket.close(1000, closeReasonText(text), CLOSE_WAIT_MS);
      } else socket?.terminate();
      this.counters.framesDropped += this.queue.clear();
      await this.closeForks();
      const { framesSent, framesDropped, reconnects } = this.stats();
      this.deps.facts.report(
        closedFact(this.base(), reason, text, { framesSent, framesDropped, reconnects }),
      );
      this.log.info({ reason: text, ...this.stats(), channels: undefined }, 'stream closed');
      await this.finish();
    })();
    return this.ended;
  }

  private async finish(): Promise<void> {
    this.connection = 'closed';
    await this.closeForks();
    this.deps.onEnded(this);
  }

  private base() {
    return { callId: this.spec.callId, streamId: this.spec.streamId, occurredAtMs: Date.now() };
  }
}

/** A WebSocket close reason is at most 123 bytes. */
function closeReasonText(text: string): string {
  return Buffer.byteLength(text) <= 123 ? text : Buffer.from(text).subarray(0, 120).toString() + '…';
}
