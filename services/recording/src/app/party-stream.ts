// One party of a part recorder: its UDP socket, its jitter buffer, its decoder, and its audio placed on the
// recording's timeline (a TimelineRing at the file's rate).
//
// Alignment to the wall clock: the first packet (and the first after a discontinuity) is placed where it
// arrived: its audio ends at its arrival time on the timeline. Every later packet goes where its RTP
// timestamp puts it relative to the one before, so reordering, loss and jitter never move the audio, and
// silence suppression or a lost packet leaves silence exactly as long as the hole. The recorder reads the
// ring `playoutDelayMs` behind the wall clock, which is what a packet may be late by. Two bounds keep a
// party from drifting against the clock (a sender's clock running slow or fast, a burst after a stall):
// a packet whose place was already read is placed by its arrival again (`realigned`), and so is a packet
// that would sit more than `maxAheadMs` ahead of the wall clock, over the audio queued in its way (the
// oldest queued audio is lost: `droppedSamples`).
import {
  JitterBuffer,
  RtpSocket,
  payloadDecoderFor,
  timestampDistance,
  type JitterBufferOutput,
  type PayloadDecoder,
  type RtpPacket,
} from '@callctl/rtp';
import { upsample2x } from '../domain/frame-mix.js';
import { TimelineRing } from '../domain/timeline-ring.js';
import type { ForkedParty } from './ports.js';

export interface PartyStreamTiming {
  /** How long a packet waits for a missing earlier one (the jitter buffer's depth). */
  jitterDepthMs: number;
  /** How far behind the wall clock the recorder reads the ring. */
  playoutDelayMs: number;
  /** How far ahead of the wall clock a party's audio may be queued. */
  maxAheadMs: number;
}

export interface PartyStreamStats {
  /** Datagrams that came before start() said what they carry (dropped). */
  beforeStart: number;
  /** Packets of a payload type that is neither the fork's codec nor its telephone-event. */
  otherPayload: number;
  /** Times the party's audio was placed by its arrival again because its place was already read. */
  realigned: number;
  /** Samples dropped: queued too far ahead of the clock, or too late for the ring. */
  droppedSamples: number;
}

interface Stream {
  readonly fork: ForkedParty;
  readonly buffer: JitterBuffer;
  decoder: PayloadDecoder;
  readonly fileRate: number;
  /** File samples per RTP timestamp unit (1 for G.711 in 8 kHz, 2 for G.711 in 16 kHz and for G.722). */
  readonly samplesPerUnit: number;
  readonly upsample: boolean;
  readonly timelineStartMs: number;
  readonly maxAheadSamples: number;
}

/** Longest payload expected (ms): scratch space for a 16 kHz copy; a longer one grows it. */
const SCRATCH_MS = 60;
/** A timestamp this far from the last arrival's is another timeline: place by the current time instead. */
const MAX_ARRIVAL_ESTIMATE_MS = 1000;

export class PartyStream {
  lastPacketAtMs = -Infinity;
  readonly stats: PartyStreamStats = { beforeStart: 0, otherPayload: 0, realigned: 0, droppedSamples: 0 };
  private stream: Stream | undefined;
  private ring: TimelineRing | undefined;
  /** Where the packet after the last placed one goes (file samples) and its RTP timestamp. */
  private nextPosition: number | undefined;
  private nextTimestamp = 0;
  /** The newest audio packet that arrived: to place a packet by when it arrived. */
  private lastArrivalMs = 0;
  private lastArrivalTimestamp = 0;
  private lastArrivalSsrc: number | undefined;
  private upsampled = new Int16Array(0);
  private upsamplePrevious = 0;

  /** The UDP port the party's fork must be sent to. */
  readonly port: number;

  private constructor(private socket: RtpSocket | undefined) {
    this.port = socket?.address.port ?? 0;
  }

  /** Binds the party's socket; packets before configure() are counted and dropped. */
  static async open(host: string): Promise<PartyStream> {
    const bound: { party?: PartyStream } = {};
    const socket = await RtpSocket.open((packet, arrivedAtMs) => bound.party?.receive(packet, arrivedAtMs), {
      host,
    });
    bound.party = new PartyStream(socket);
    return bound.party;
  }

  /** Datagrams that were not RTP. */
  get malformed(): number {
    return this.socket?.malformed ?? 0;
  }

  get received(): number {
    return this.stream?.buffer.stats.received ?? 0;
  }

  get lost(): number {
    return this.stream?.buffer.stats.lostPackets ?? 0;
  }

  /** What the fork carries, the file's rate, and when (clock ms) the timeline's position 0 is. */
  configure(
    fork: ForkedParty,
    fileRate: 8000 | 16000,
    timelineStartMs: number,
    timing: PartyStreamTiming,
  ): void {
    const decoder = payloadDecoderFor(fork.codec, fork.clockRate);
    const eventType = fork.telephoneEventPayloadType;
    const unitsOf = (packet: RtpPacket): number =>
      packet.payloadType === fork.payloadType
        ? this.stream!.decoder.samplesIn(packet.payload) * this.stream!.decoder.timestampUnitsPerSample
        : 0;
    this.stream = {
      fork,
      // Events last 0: they all carry their event's start timestamp (the README's jitter buffer section).
      buffer: new JitterBuffer({
        depthMs: timing.jitterDepthMs,
        clockRate: fork.clockRate,
        durationOf: (packet) => (eventType !== 0 && packet.payloadType === eventType ? 0 : unitsOf(packet)),
      }),
      decoder,
      fileRate,
      samplesPerUnit: fileRate / fork.clockRate,
      upsample: fileRate > decoder.sampleRate,
      timelineStartMs,
      maxAheadSamples: Math.round((timing.maxAheadMs * fileRate) / 1000),
    };
    const ringMs = timing.playoutDelayMs + timing.maxAheadMs + 2 * SCRATCH_MS + 100;
    this.ring = new TimelineRing((ringMs * fileRate) / 1000);
    this.upsampled = new Int16Array(((SCRATCH_MS * fileRate) / 1000) | 0);
  }

  /** Takes what the jitter buffer releases at `nowMs` and places it on the timeline. */
  advance(nowMs: number): void {
    if (!this.stream) return;
    for (const output of this.stream.buffer.pull(nowMs)) this.take(output, nowMs);
  }

  /** Takes everything still waiting, holes declared lost (the part ends). */
  drain(nowMs: number): void {
    if (!this.stream) return;
    for (const output of this.stream.buffer.drain()) this.take(output, nowMs);
  }

  /** The next `count` samples of the timeline (silence where nothing was placed) into `out`. */
  read(out: Int16Array, offset: number, count: number): void {
    this.ring!.read(out, offset, count);
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    await socket?.close();
  }

  private receive(packet: RtpPacket, arrivedAtMs: number): void {
    const stream = this.stream;
    if (!stream) {
      this.stats.beforeStart++;
      return;
    }
    this.lastPacketAtMs = arrivedAtMs;
    if (packet.payloadType === stream.fork.payloadType) {
      this.lastArrivalMs = arrivedAtMs;
      this.lastArrivalTimestamp = packet.timestamp;
      this.lastArrivalSsrc = packet.ssrc;
    }
    stream.buffer.push(packet, arrivedAtMs);
  }

  private take(output: JitterBufferOutput, nowMs: number): void {
    const stream = this.stream!;
    if (output.kind === 'discontinuity') {
      // A new timeline: placed by arrival again, and a G.722 predictor starts afresh.
      this.nextPosition = undefined;
      stream.decoder = payloadDecoderFor(stream.fork.codec, stream.fork.clockRate);
      this.upsamplePrevious = 0;
      return;
    }
    // A gap needs nothing: the next packet's timestamp leaves the hole unwritten, which reads as silence.
    if (output.kind !== 'packet') return;
    const packet = output.packet;
    if (packet.payloadType !== stream.fork.payloadType) {
      if (packet.payloadType !== stream.fork.telephoneEventPayloadType) this.stats.otherPayload++;
      return;
    }
    let samples = stream.decoder.decode(packet.payload);
    const units = samples.length * stream.decoder.timestampUnitsPerSample;
    let count = samples.length;
    if (stream.upsample) {
      count *= 2;
      if (this.upsampled.length < count) this.upsampled = new Int16Array(count);
      this.upsamplePrevious = upsample2x(samples, this.upsampled, this.upsamplePrevious);
      samples = this.upsampled;
    }
    const ring = this.ring!;
    const wall = this.wallPosition(stream, nowMs);
    let position: number;
    if (this.nextPosition === undefined) position = this.arrivalPosition(stream, packet, nowMs) - count;
    else {
      position =
        this.nextPosition + timestampDistance(this.nextTimestamp, packet.timestamp) * stream.samplesPerUnit;
      if (position < ring.readPosition) {
        // Too late for its place (a slow sender clock, a delay beyond the playout delay): the party's
        // audio goes on from when this packet came, leaving a short silence rather than losing it.
        if (ring.readPosition > 0) this.stats.realigned++;
        position = this.arrivalPosition(stream, packet, nowMs) - count;
      }
    }
    if (position + count > wall + stream.maxAheadSamples) {
      // Queued too far ahead of the clock (a fast sender clock): back to when this packet came, over the
      // audio queued in the way. All of the lead at once, so a slightly fast sender is cut once in a long
      // while rather than by a few samples in every packet.
      const arrival = this.arrivalPosition(stream, packet, nowMs) - count;
      this.stats.droppedSamples += position - arrival;
      position = arrival;
    }
    this.stats.droppedSamples += ring.write(position, samples, 0, count);
    this.nextPosition = position + count;
    this.nextTimestamp = (packet.timestamp + units) >>> 0;
  }

  /** Where `packet`'s audio ends by when it arrived, estimated from the newest arrival of its stream. */
  private arrivalPosition(stream: Stream, packet: RtpPacket, nowMs: number): number {
    if (this.lastArrivalSsrc === packet.ssrc) {
      const units = timestampDistance(this.lastArrivalTimestamp, packet.timestamp);
      const ms = (units * 1000) / stream.fork.clockRate;
      if (Math.abs(ms) < MAX_ARRIVAL_ESTIMATE_MS) return this.wallPosition(stream, this.lastArrivalMs + ms);
    }
    return this.wallPosition(stream, nowMs);
  }

  private wallPosition(stream: Stream, atMs: number): number {
    return Math.round(((atMs - stream.timelineStartMs) * stream.fileRate) / 1000);
  }
}
