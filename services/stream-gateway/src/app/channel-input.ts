// One participant's fork on its way into a stream: RTP packets in (reordered by libs/rtp's jitter buffer,
// decoded, brought to the stream's rate), one 20 ms frame out per tick of the gateway's clock. No I/O and
// no clock of its own: the caller passes arrival and tick times.
//
// A party starts playing at the first tick after a frame of its audio arrived. A packet lost while it
// sends comes out of the jitter buffer as a gap and is played as silence in its place; a tick that finds
// less than a frame while the party is still sending plays silence too (concealment), and the audio that
// then arrives late is an underrun: it plays a frame later. How much delay the queue keeps is libs/rtp's
// AdaptivePlayout, as in the mixer: an underrun grows the target (1 to 2 frames, the 40 ms), 5 s
// without one shrink it, and a queue that held a frame more than its target for a whole second drops that
// frame (adapt() says why whole frames, not the mixer's squeeze); a stall's backlog above 10 frames is cut
// at once. So a long-lived stream's latency does not carry its old stalls.
// A party that stopped sending (hold, a pause of its phone) plays nothing: no frames until it sends again.
//
// PCMU fork into a PCMU per-participant stream: the payload bytes pass through, never decoded. Otherwise
// G.711 is decoded (and brought to 16 kHz through the half-band interpolator for L16 16 kHz), G.722 is
// 16 kHz natively (brought to 8 kHz through the half-band decimator for 8 kHz streams).
import {
  AdaptivePlayout,
  HalfBandDecimator,
  HalfBandInterpolator,
  JitterBuffer,
  MULAW_SILENCE,
  payloadDecoderFor,
  type PayloadDecoder,
  type RtpPacket,
} from '@callctl/rtp';
import type { ForkedParty } from '@callctl/service';

/** A hole waits this long for its packet before it is declared lost. */
const JITTER_DEPTH_MS = 20;
/** A party silent this long has stopped sending (hold): running dry then is not concealment. */
const SENDING_WITHIN_MS = 60;
/** The most underruns grow the playout target to (frames): the fork → WebSocket p99 is 40 ms. */
const MAX_TARGET_FRAMES = 2;
/** The queue's room (frames): AdaptivePlayout cuts it back above 10, loss fills add at most 3. */
const CAPACITY_FRAMES = 16;
/** Loss filled at most this much at once (frames): a longer hole is the sender pausing. */
const MAX_FILL_FRAMES = 3;

export interface ChannelCounters {
  packetsIn: number;
  lost: number;
  concealedFrames: number;
  /** Frames cut from a backlog or shed (whole frames the queue held above its target for a second). */
  trimmedFrames: number;
  /** Concealments whose audio arrived after all (late, not lost): each grew the playout target. */
  underruns: number;
  /** The playout target now, in frames. */
  targetFrames: number;
}

/** A FIFO of samples (or μ-law bytes, passing through) at the stream's rate. */
class SampleFifo<T extends Int16Array | Uint8Array> {
  private start = 0;
  length = 0;
  constructor(private readonly data: T) {}

  append(source: ArrayLike<number>, count = source.length): void {
    this.compactFor(count);
    for (let i = 0; i < count; i++) this.data[this.start + this.length + i] = source[i]!;
    this.length += count;
  }

  fill(value: number, count: number): void {
    this.compactFor(count);
    this.data.fill(value, this.start + this.length, this.start + this.length + count);
    this.length += count;
  }

  /** The next `count` values, still queued (valid until the next append). */
  peek(count: number): T {
    return this.data.subarray(this.start, this.start + count) as T;
  }

  takeInto(out: T, count: number): void {
    out.set(this.data.subarray(this.start, this.start + count) as never);
    this.start += count;
    this.length -= count;
  }

  drop(count: number): void {
    const n = Math.min(count, this.length);
    this.start += n;
    this.length -= n;
  }

  private compactFor(count: number): void {
    if (this.start + this.length + count <= this.data.length) return;
    // No room even compacted: the oldest goes (bounded memory whatever arrives).
    const over = this.length + count - this.data.length;
    if (over > 0) this.drop(over);
    this.data.copyWithin(0, this.start, this.start + this.length);
    this.start = 0;
  }
}

export class ChannelInput {
  /** This tick's frame at the stream's rate (decoded mode): valid after take() returned true. */
  readonly frame: Int16Array;
  /** This tick's μ-law frame (passthrough mode). */
  readonly bytes = new Uint8Array(160);
  private readonly samplesPerFrame: number;
  private readonly samples: SampleFifo<Int16Array> | undefined;
  private readonly passthroughBytes: SampleFifo<Uint8Array> | undefined;
  private readonly jitter: JitterBuffer;
  private decoder: PayloadDecoder;
  private readonly interpolator: HalfBandInterpolator | undefined;
  private readonly decimator: HalfBandDecimator | undefined;
  /** Output samples per RTP timestamp unit (1 at 8 kHz, 2 at 16 kHz). */
  private readonly samplesPerUnit: number;
  private scratch = new Int16Array(1920);
  private readonly playout: AdaptivePlayout;
  private playing = false;
  /** Silence played since the last real audio: what a gap released later has already been given. */
  private concealedSamples = 0;
  private lastArrivalMs = -Infinity;
  private readonly counters: ChannelCounters = {
    packetsIn: 0,
    lost: 0,
    concealedFrames: 0,
    trimmedFrames: 0,
    underruns: 0,
    targetFrames: 0,
  };

  /**
   * @param outputRate the stream's rate. @param passthrough PCMU fork into a PCMU stream: bytes as they
   * came.
   */
  constructor(
    private readonly fork: ForkedParty,
    outputRate: 8000 | 16000,
    readonly passthrough: boolean,
  ) {
    this.samplesPerFrame = outputRate / 50;
    this.frame = new Int16Array(this.samplesPerFrame);
    const capacity = CAPACITY_FRAMES * this.samplesPerFrame;
    this.playout = new AdaptivePlayout({
      frameSamples: this.samplesPerFrame,
      maxTargetFrames: MAX_TARGET_FRAMES,
    });
    if (passthrough) this.passthroughBytes = new SampleFifo(new Uint8Array(capacity));
    else this.samples = new SampleFifo(new Int16Array(capacity));
    this.decoder = payloadDecoderFor(fork.codec, fork.clockRate);
    this.interpolator =
      !passthrough && outputRate === 16000 && this.decoder.sampleRate === 8000
        ? new HalfBandInterpolator()
        : undefined;
    this.decimator =
      !passthrough && outputRate === 8000 && this.decoder.sampleRate === 16000
        ? new HalfBandDecimator()
        : undefined;
    this.samplesPerUnit = outputRate / fork.clockRate;
    const eventType = fork.telephoneEventPayloadType;
    // Events and comfort noise last no time: they neither open a hole nor shift the timeline (DTMF reaches
    // the stream from the orchestrator, SendStreamDtmf).
    this.jitter = new JitterBuffer({
      depthMs: JITTER_DEPTH_MS,
      clockRate: fork.clockRate,
      durationOf: (packet) =>
        packet.payloadType === fork.payloadType && packet.payloadType !== eventType
          ? this.decoder.samplesIn(packet.payload) * this.decoder.timestampUnitsPerSample
          : 0,
      maxGapMs: 1000,
    });
  }

  push(packet: RtpPacket, arrivedAtMs: number): void {
    this.counters.packetsIn++;
    if (packet.payloadType === this.fork.payloadType) this.lastArrivalMs = arrivedAtMs;
    this.jitter.push(packet, arrivedAtMs);
    this.release(arrivedAtMs);
  }

  /** Fills `frame` (or `bytes`) with this tick's 20 ms; false: the party plays nothing this tick. */
  take(nowMs: number): boolean {
    this.release(nowMs);
    const fifo = this.samples ?? this.passthroughBytes!;
    if (!this.playing) {
      if (fifo.length < this.playout.targetSamples) return false;
      this.playing = true;
      // More than a frame above the target at a start piled up while this process stalled: stale already.
      this.trim(fifo, 1);
    }
    this.adapt(fifo);
    if (fifo.length >= this.samplesPerFrame) {
      if (this.samples) this.samples.takeInto(this.frame, this.samplesPerFrame);
      else this.passthroughBytes!.takeInto(this.bytes, this.samplesPerFrame);
      return true;
    }
    if (nowMs - this.lastArrivalMs >= SENDING_WITHIN_MS) {
      // Stopped sending (hold): what is left is dropped, and the party waits for audio again.
      this.playing = false;
      fifo.drop(fifo.length);
      this.concealedSamples = 0;
      return false;
    }
    // Still sending, the next packet late: silence in its place.
    this.counters.concealedFrames++;
    this.concealedSamples += this.samplesPerFrame;
    this.frame.fill(0);
    this.bytes.fill(MULAW_SILENCE);
    return true;
  }

  /** What the queue holds now (ms of audio): the delay it adds on top of the jitter buffer's. */
  get queuedMs(): number {
    return ((this.samples ?? this.passthroughBytes!).length / this.samplesPerFrame) * 20;
  }

  stats(): ChannelCounters {
    return {
      ...this.counters,
      lost: this.jitter.stats.lostPackets,
      underruns: this.playout.underruns,
      targetFrames: this.playout.targetFrames,
    };
  }

  /**
   * Per tick: the playout's decision. A frame or more the queue held above its target for a whole second is
   * dropped at once, whole frames, loud or quiet. The mixer squeezes such frames unheard instead (a person
   * listens there); a stream's consumer is a program (speech recognition, analytics) for which a few
   * samples more per frame for a second or two is a 1.25 % change of pitch over that time, which a narrow
   * tone or pitch analysis sees, while one 20 ms frame less in a second of steady arrivals is not seen.
   */
  private adapt(fifo: SampleFifo<Int16Array | Uint8Array>): void {
    const action = this.playout.tick(fifo.length);
    if (action === 'cut') return this.trim(fifo, 0);
    if (action !== 'shed') return;
    const excess = Math.min(this.playout.shedSamples, fifo.length - this.playout.targetSamples);
    if (excess <= 0) return;
    fifo.drop(excess);
    this.counters.trimmedFrames += Math.ceil(excess / this.samplesPerFrame);
  }

  /** Drops the oldest down to the target (and `slackFrames` more). */
  private trim(fifo: SampleFifo<Int16Array | Uint8Array>, slackFrames: number): void {
    const excess = fifo.length - this.playout.targetSamples - slackFrames * this.samplesPerFrame;
    if (excess <= 0) return;
    fifo.drop(excess);
    this.counters.trimmedFrames += Math.ceil(excess / this.samplesPerFrame);
  }

  private release(nowMs: number): void {
    for (const out of this.jitter.pull(nowMs)) {
      if (out.kind === 'packet') {
        if (out.packet.payloadType === this.fork.payloadType) this.append(out.packet.payload);
      } else if (out.kind === 'gap' && out.lostPackets > 0 && this.playing) {
        // Only what was not concealed already: the timeline stays exact.
        const samples =
          Math.min(out.samples * this.samplesPerUnit, MAX_FILL_FRAMES * this.samplesPerFrame) -
          this.concealedSamples;
        this.concealedSamples = 0;
        if (samples <= 0) continue;
        if (this.samples) this.samples.fill(0, samples);
        else this.passthroughBytes!.fill(MULAW_SILENCE, samples);
      } else if (out.kind === 'discontinuity') {
        this.decoder = payloadDecoderFor(this.fork.codec, this.fork.clockRate);
        this.interpolator?.reset();
        this.decimator?.reset();
      }
    }
  }

  private append(payload: Uint8Array): void {
    // Audio came: any silence played before it was its lateness (an underrun: kept as delay, the target
    // grows), not a loss to fill.
    if (this.concealedSamples > 0 && this.playing) this.playout.underrun();
    this.concealedSamples = 0;
    if (this.passthroughBytes) {
      this.passthroughBytes.append(payload);
      return;
    }
    const decoded = this.decoder.decode(payload);
    if (this.interpolator) {
      if (this.scratch.length < 2 * decoded.length) this.scratch = new Int16Array(2 * decoded.length);
      this.samples!.append(this.scratch, this.interpolator.interpolateInto(decoded, this.scratch));
    } else if (this.decimator) {
      if (this.scratch.length < decoded.length) this.scratch = new Int16Array(decoded.length);
      this.samples!.append(this.scratch, this.decimator.decimateInto(decoded, this.scratch));
    } else this.samples!.append(decoded);
  }
}
