// One participant's audio on its way into the mixes: RTP packets in (reordered by libs/rtp's jitter buffer),
// one 20 ms frame out per tick. No I/O and no clock of its own: the caller passes arrival and tick times.
//
// Between the two sits a small playout ring of decoded samples. A stream starts playing once it holds two
// frames: the extra frame absorbs the jitter of arrivals against the mixer's own clock, so the path adds
// 20-40 ms. A tick that finds less than a frame while the participant is sending plays silence there
// (concealment), which delays what follows by that much: the ring grows to absorb a sender's (or a
// network's) burstiness by itself. When a lost packet's hole comes out of the jitter buffer (at once when a
// frame of audio is behind it), only the part of it not already concealed is filled, so the timeline stays
// exact. The ring shrinks back slowly: when it never held less than SHRINK_ABOVE_FRAMES at a tick for a
// whole SHRINK_WINDOW_TICKS, the frames above START_FRAMES go (counted as late); above MAX_FRAMES (a long
// stall's backlog) it is cut back at once. Everything is preallocated: per packet, one decode into a
// reused scratch frame and a copy into the ring.
import { JitterBuffer, type RtpPacket } from '@callctl/rtp';
import { FRAME_SAMPLES } from '../domain/frame-mix.js';
import { inputDecoderFor, type InputDecoder } from '../domain/input-decoder.js';
import type { CodecName } from '../domain/participant-spec.js';

/** Frames held before a stream starts playing (one to play, one against jitter). */
const START_FRAMES = 2;
/** Above this many frames, the ring is cut back to START_FRAMES at once. */
const MAX_FRAMES = 10;
/** A ring that held at least this many frames at every tick of a window is cut back to START_FRAMES. */
const SHRINK_ABOVE_FRAMES = 3;
/** One second of ticks. */
const SHRINK_WINDOW_TICKS = 50;
const CAPACITY = 16 * FRAME_SAMPLES;
/**
 * A hole waits this long for its packet in the jitter buffer (the one frame of slack the ring has); a hole
 * with a frame of audio already behind it is given up at once.
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
  /** The least the ring held at a tick of the current window, and how many ticks the window has had. */
  private windowLeast = Infinity;
  private windowTicks = 0;
  private concealedFrames = 0;
  private readonly decoder: InputDecoder;

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
      if (this.buffered < START_FRAMES * FRAME_SAMPLES) return false;
      this.playing = true;
      // More than that at a start is what piled up while this process stalled: stale already.
      this.trim();
    }
    this.windowLeast = Math.min(this.windowLeast, this.buffered);
    if (++this.windowTicks === SHRINK_WINDOW_TICKS) {
      if (this.windowLeast >= SHRINK_ABOVE_FRAMES * FRAME_SAMPLES) this.trim();
      this.windowLeast = Infinity;
      this.windowTicks = 0;
    }
    if (this.buffered > MAX_FRAMES * FRAME_SAMPLES) this.trim();
    if (this.buffered < FRAME_SAMPLES) {
      if (nowMs - this.lastArrivalMs >= SENDING_WITHIN_MS) {
        // Paused or gone: drop the remainder and wait for a new start.
        this.playing = false;
        this.read = (this.read + this.buffered) % CAPACITY;
        this.buffered = 0;
        this.concealedSamples = 0;
        return false;
      }
      this.concealedFrames++;
      this.concealedSamples += FRAME_SAMPLES - this.buffered;
      this.frame.fill(0);
      this.frameArrivedAtMs = nowMs;
      // A partial frame (odd packet sizes) stays for the next tick.
      return false;
    }
    this.frameArrivedAtMs = this.arrivals[this.read]!;
    const end = this.read + FRAME_SAMPLES;
    if (end <= CAPACITY) this.frame.set(this.ring.subarray(this.read, end));
    else {
      const first = CAPACITY - this.read;
      this.frame.set(this.ring.subarray(this.read, CAPACITY));
      this.frame.set(this.ring.subarray(0, FRAME_SAMPLES - first), first);
    }
    this.read = end % CAPACITY;
    this.buffered -= FRAME_SAMPLES;
    return true;
  }

  counters(): InputCounters {
    const stats = this.jitter.stats;
    return {
      packetsIn: this.packetsIn,
      lost: stats.lostPackets,
      late: stats.late + this.trimmedFrames,
      concealedFrames: this.concealedFrames,
    };
  }

  /** Drops the oldest samples down to START_FRAMES. */
  private trim(): void {
    const excess = this.buffered - START_FRAMES * FRAME_SAMPLES;
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
      } else if (out.kind === 'discontinuity') this.decoder.reset();
    }
  }

  private append(payload: Uint8Array, arrivedAtMs: number): void {
    const count = Math.min(payload.length, CAPACITY - this.buffered);
    if (count <= 0) return;
    // One 8 kHz sample per payload byte (G.711, and G.722 decimated: one code per 8 kHz timestamp unit).
    this.decoder.decodeInto(count === payload.length ? payload : payload.subarray(0, count), this.scratch);
    this.concealedSamples = 0;
    let write = (this.read + this.buffered) % CAPACITY;
    for (let i = 0; i < count; i++) {
      this.ring[write] = this.scratch[i]!;
      this.arrivals[write] = arrivedAtMs;
      write = write + 1 === CAPACITY ? 0 : write + 1;
    }
    this.buffered += count;
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
