// One participant's audio on its way into the mixes: RTP packets in (reordered by libs/rtp's jitter buffer),
// one 20 ms frame out per tick. No I/O and no clock of its own: the caller passes arrival and tick times.
//
// Between the two sits a small playout ring of decoded samples, held as short as the arrivals allow: a
// stream starts playing at the first tick after its first frame arrived (a target of one frame, so the ring
// adds 0-20 ms, the phase of the sender against the mixer's clock). A tick that finds less than a frame
// while the participant is sending plays silence there (concealment), which delays what follows by that
// much. When the missing audio then arrives (late, not lost), that was an underrun. The target and how it
// grows (up to MAX_TARGET_FRAMES), decays and sheds are libs/rtp's AdaptivePlayout. A lost packet is no
// underrun: its hole comes out of the jitter buffer (at once when a frame of audio is behind it) and only
// the part of it not already concealed is filled, so the timeline stays exact. A frame to shed goes without
// losing audio: each frame played is then made of a few more samples (squeezeFrameInto, 1.25 % faster: not
// heard), or a quiet stretch that comes meanwhile is dropped at once (counted as late). A backlog to cut
// goes back to the target at once.
// Everything is preallocated (the squeeze too): per packet, one decode into a reused scratch frame and a
// copy into the ring.
import { AdaptivePlayout, JitterBuffer, isQuiet, squeezeFrameInto, type RtpPacket } from '@callctl/rtp';
import { FRAME_SAMPLES } from '../domain/frame-mix.js';
import { inputDecoderFor, type InputDecoder } from '../domain/input-decoder.js';
import type { CodecName } from '../domain/participant-spec.js';

/**
 * The most underruns can grow it to: the path may add 40 ms at most (issue 15), so a sender jitterier than
 * that is concealed rather than waited for.
 */
const MAX_TARGET_FRAMES = 2;
const CAPACITY = 16 * FRAME_SAMPLES;
/**
 * A hole waits this long for its packet in the jitter buffer; a hole with a frame of audio already behind
 * it is given up at once (so in-order arrivals are never held), and a tick that finds the ring dry
 * conceals without waiting for it.
 */
const JITTER_DEPTH_MS = 20;
/** A participant silent this long has paused (or left): running dry then is not concealment. */
const SENDING_WITHIN_MS = 60;
/** Loss filled at most this much at once: a longer hole is the sender pausing, not frames to replay. */
const MAX_FILL_SAMPLES = 3 * FRAME_SAMPLES;

export interface InputCounters {
  packetsIn: number;
  lost: number;
  late: number;
  concealedFrames: number;
  /** Concealments whose audio arrived after all (late, not lost): each grew the target. */
  underruns: number;
  /** The playout target now, in frames (1 = the tick right after arrival). */
  targetFrames: number;
}

export class ParticipantInput {
  /** This tick's frame: valid after take() returned true. */
  readonly frame = new Int16Array(FRAME_SAMPLES);
  /** When the oldest sample of this tick's frame arrived (ms, the caller's clock). */
  frameArrivedAtMs = 0;
  private readonly jitter: JitterBuffer;
  private readonly ring = new Int16Array(CAPACITY);
  /** Arrival time of each sample in the ring: the latency of the frame it ends up in. */
  private readonly arrivals = new Float64Array(CAPACITY);
  private readonly scratch = new Int16Array(CAPACITY);
  private read = 0;
  private buffered = 0;
  private playing = false;
  private lastArrivalMs = -Infinity;
  /** Silence played since the last real audio: what a hole released later has already been given. */
  private concealedSamples = 0;
  private packetsIn = 0;
  private trimmedFrames = 0;
  private concealedFrames = 0;
  private readonly decoder: InputDecoder;
  private readonly playout = new AdaptivePlayout({
    frameSamples: FRAME_SAMPLES,
    maxTargetFrames: MAX_TARGET_FRAMES,
  });
  private readonly sampleAhead = (index: number): number => this.ring[(this.read + index) % CAPACITY]!;
  /** Samples still to shed (a frame above the target); 0: none. */
  private squeezeLeft = 0;

  constructor(
    codec: CodecName,
    private readonly payloadType: number,
  ) {
    this.decoder = inputDecoderFor(codec);
    // Other payload types (comfort noise, an event rtpengine should not send) last no time, so they neither
    // open a hole nor shift the timeline.
    this.jitter = new JitterBuffer({
      depthMs: JITTER_DEPTH_MS,
      clockRate: 8000,
      durationOf: (packet) => (packet.payloadType === payloadType ? packet.payload.length : 0),
      maxGapMs: 1000,
    });
  }

  push(packet: RtpPacket, arrivedAtMs: number): void {
    this.packetsIn++;
    this.lastArrivalMs = arrivedAtMs;
    this.jitter.push(packet, arrivedAtMs);
    // In-order packets come out at once, so their samples carry their own arrival time; those released
    // later (behind a hole) carry the time they came out.
    this.release(arrivedAtMs);
  }

  /** Fills `frame` with this tick's 20 ms; false when there is no audio (silence, not playing). */
  take(nowMs: number): boolean {
    this.release(nowMs);
    if (!this.playing) {
      if (this.buffered < this.playout.targetSamples) return false;
      this.playing = true;
      // More than a frame above the target at a start is what piled up while this process stalled: stale
      // already. (A frame more is two packets in one tick's time: kept, the window's shrink takes it.)
      this.trim(1);
    }
    this.adapt();
    if (this.buffered < FRAME_SAMPLES) {
      if (nowMs - this.lastArrivalMs >= SENDING_WITHIN_MS) {
        // Paused or gone: drop the remainder and wait for a new start.
        this.playing = false;
        this.read = (this.read + this.buffered) % CAPACITY;
        this.buffered = 0;
        this.concealedSamples = 0;
        this.squeezeLeft = 0;
        return false;
      }
      this.concealedFrames++;
      this.concealedSamples += FRAME_SAMPLES - this.buffered;
      this.frame.fill(0);
      this.frameArrivedAtMs = nowMs;
      // A partial frame (odd packet sizes) stays for the next tick.
      return false;
    }
    this.copyFrame();
    return true;
  }

  counters(): InputCounters {
    const stats = this.jitter.stats;
    return {
      packetsIn: this.packetsIn,
      lost: stats.lostPackets,
      late: stats.late + this.trimmedFrames,
      concealedFrames: this.concealedFrames,
      underruns: this.playout.underruns,
      targetFrames: this.playout.targetFrames,
    };
  }

  /** Per tick: the playout's decision (a frame to shed, a backlog to cut), then the shedding under way. */
  private adapt(): void {
    const action = this.playout.tick(this.buffered);
    if (action === 'cut') {
      this.trim();
      this.squeezeLeft = 0;
      return;
    }
    // One frame per window, as the mixer always did: a frame squeezed over 1.6 s is not heard, but squeezing
    // all of a larger excess at once keeps a person's audio 1.25 % off pitch for that much longer (the
    // monitoring e2e saw a whisper's tone detected only 4.7 s after the switch when it did).
    if (action === 'shed' && this.squeezeLeft === 0)
      this.squeezeLeft = Math.min(this.playout.shedSamples, FRAME_SAMPLES);
    // Only what is still above the target (an underrun since may have used some up).
    this.squeezeLeft = Math.max(0, Math.min(this.squeezeLeft, this.buffered - this.playout.targetSamples));
    if (this.squeezeLeft > 0 && isQuiet(this.squeezeLeft, this.sampleAhead)) {
      this.read = (this.read + this.squeezeLeft) % CAPACITY;
      this.buffered -= this.squeezeLeft;
      this.trimmedFrames += Math.ceil(this.squeezeLeft / FRAME_SAMPLES);
      this.squeezeLeft = 0;
    }
  }

  private copyFrame(): void {
    this.frameArrivedAtMs = this.arrivals[this.read]!;
    if (this.squeezeLeft > 0 && this.buffered >= FRAME_SAMPLES + this.playout.squeezeStep) {
      this.squeezeFrame();
      return;
    }
    const end = this.read + FRAME_SAMPLES;
    if (end <= CAPACITY) this.frame.set(this.ring.subarray(this.read, end));
    else {
      const first = CAPACITY - this.read;
      this.frame.set(this.ring.subarray(this.read, CAPACITY));
      this.frame.set(this.ring.subarray(0, FRAME_SAMPLES - first), first);
    }
    this.read = end % CAPACITY;
    this.buffered -= FRAME_SAMPLES;
  }

  /** This tick's frame made of a few samples more of the ring, linearly interpolated. */
  private squeezeFrame(): void {
    const step = this.playout.squeezeStep;
    squeezeFrameInto(this.frame, step, this.sampleAhead);
    this.read = (this.read + FRAME_SAMPLES + step) % CAPACITY;
    this.buffered -= FRAME_SAMPLES + step;
    this.squeezeLeft = Math.max(0, this.squeezeLeft - step);
  }

  /** Drops the oldest samples down to the target (and `slackFrames` more). */
  private trim(slackFrames = 0): void {
    const excess = this.buffered - this.playout.targetSamples - slackFrames * FRAME_SAMPLES;
    if (excess <= 0) return;
    this.trimmedFrames += Math.ceil(excess / FRAME_SAMPLES);
    this.read = (this.read + excess) % CAPACITY;
    this.buffered -= excess;
  }

  private release(nowMs: number): void {
    for (const out of this.jitter.pull(nowMs)) {
      if (out.kind === 'packet') {
        if (out.packet.payloadType === this.payloadType) this.append(out.packet.payload, nowMs);
      } else if (out.kind === 'gap' && out.lostPackets > 0) {
        this.fill(Math.min(out.samples, MAX_FILL_SAMPLES) - this.concealedSamples);
        // What was concealed was this loss, not audio running late: no underrun.
        this.concealedSamples = 0;
      } else if (out.kind === 'discontinuity') this.decoder.reset();
    }
  }

  private append(payload: Uint8Array, arrivedAtMs: number): void {
    const count = Math.min(payload.length, CAPACITY - this.buffered);
    if (count <= 0) return;
    // One 8 kHz sample per payload byte (G.711, and G.722 decimated: one code per 8 kHz timestamp unit).
    this.decoder.decodeInto(count === payload.length ? payload : payload.subarray(0, count), this.scratch);
    if (this.concealedSamples > 0) this.underrun();
    let write = (this.read + this.buffered) % CAPACITY;
    for (let i = 0; i < count; i++) {
      this.ring[write] = this.scratch[i]!;
      this.arrivals[write] = arrivedAtMs;
      write = write + 1 === CAPACITY ? 0 : write + 1;
    }
    this.buffered += count;
  }

  /**
   * Audio arrived after the ticks due for it played silence: the ring now holds that much more delay.
   * Growing the target keeps it (the sender's next jitter is absorbed instead of concealed again).
   */
  private underrun(): void {
    this.concealedSamples = 0;
    this.playout.underrun();
  }

  private fill(samples: number): void {
    const count = Math.min(samples, CAPACITY - this.buffered);
    if (count <= 0 || !this.playing) return;
    this.concealedFrames += Math.ceil(count / FRAME_SAMPLES);
    let write = (this.read + this.buffered) % CAPACITY;
    for (let i = 0; i < count; i++) {
      this.ring[write] = 0;
      this.arrivals[write] = this.lastArrivalMs;
      write = write + 1 === CAPACITY ? 0 : write + 1;
    }
    this.buffered += count;
  }
}
