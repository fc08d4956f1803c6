// A reorder (jitter) buffer for one party's RTP: packets go in as they arrive, come out in sequence order,
// and every hole comes out as a `gap` (how many packets were lost and how many samples of silence fill it),
// so a recorder keeps its timeline. Pure: the caller passes the arrival time, nothing here reads a clock.
//
// A packet that follows the last one released comes out at once; only a hole makes later packets wait, at
// most `depthMs`, for the missing one. Sequence numbers wrap at 2^16 and timestamps at 2^32.
import type { RtpPacket } from './rtp-packet.js';
import { sequenceAdd, sequenceDistance, timestampAdd, timestampDistance } from './sequence-arithmetic.js';

/** RFC 3550 §A.1: a sequence step beyond this is the sender restarting, not loss or reordering. */
const MAX_SEQUENCE_JUMP = 3000;
/** How many released sequence numbers are remembered, to tell a duplicate from a late packet. */
const RELEASED_MEMORY = 128;

export interface JitterBufferOptions {
  /** How long a packet waits for a missing earlier one before the hole is declared lost (ms). */
  depthMs: number;
  /** RTP clock rate of the payload (8000 for G.711). */
  clockRate: number;
  /**
   * Timestamp units a packet lasts. Default: its payload length (G.711: one byte per sample). Return 0 for
   * RFC 4733 packets: they all carry their event's start timestamp, and the audio after the event then
   * shows up as a gap of the event's length.
   */
  durationOf?: (packet: RtpPacket) => number;
  /**
   * A forward timestamp step longer than this (ms) is a jump (a new timeline), not a gap to fill with
   * silence. Default 5000: silence suppression pauses are filled, a playback that restarts at a random
   * timestamp is not.
   */
  maxGapMs?: number;
}

/** What comes out of the buffer, in order. */
export type JitterBufferOutput =
  | { kind: 'packet'; packet: RtpPacket }
  /**
   * Before the next packet: `lostPackets` never arrived (0 when the sender just paused, e.g. silence
   * suppression or an RFC 4733 event) and `samples` timestamp units of silence keep the timeline.
   */
  | { kind: 'gap'; lostPackets: number; samples: number }
  /**
   * The timeline restarts at the next packet: a new SSRC (a new stream, e.g. another source replaced the
   * first), a sequence restart, or a timestamp jump (rtpengine's "timestamp jumped back 944 samples" when
   * one playback replaces another). `timestampStep` is the jump in timestamp units (0 for a new stream).
   * The consumer keeps writing where it is; nothing is filled.
   */
  | {
      kind: 'discontinuity';
      reason: 'new-stream' | 'sequence-restart' | 'timestamp-jump';
      ssrc: number;
      timestampStep: number;
      /** Packets of the old timeline known lost just before the jump (their length is unknown). */
      lostPackets: number;
    };

export type PushOutcome = 'buffered' | 'duplicate' | 'late' | 'new-stream' | 'sequence-restart';

export interface JitterBufferStats {
  received: number;
  released: number;
  duplicates: number;
  late: number;
  lostPackets: number;
  gapSamples: number;
  discontinuities: number;
}

interface Waiting {
  packet: RtpPacket;
  arrivedAtMs: number;
}

export class JitterBuffer {
  private readonly depthMs: number;
  private readonly depthUnits: number;
  private readonly maxGapUnits: number;
  private readonly durationOf: (packet: RtpPacket) => number;
  private ssrc: number | undefined;
  /** The sequence number the next released packet should have. */
  private nextSequence = 0;
  /** The timestamp right after the last released packet; undefined at a stream's start. */
  private expectedTimestamp: number | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private readonly released = new Set<number>();
  private ready: JitterBufferOutput[] = [];
  readonly stats: JitterBufferStats = {
    received: 0,
    released: 0,
    duplicates: 0,
    late: 0,
    lostPackets: 0,
    gapSamples: 0,
    discontinuities: 0,
  };

  constructor(options: JitterBufferOptions) {
    if (!(options.depthMs >= 0)) throw new RangeError(`depthMs must be ≥ 0, got ${options.depthMs}`);
    if (!(options.clockRate > 0)) throw new RangeError(`clockRate must be > 0, got ${options.clockRate}`);
    this.depthMs = options.depthMs;
    this.depthUnits = (options.depthMs * options.clockRate) / 1000;
    this.maxGapUnits = ((options.maxGapMs ?? 5000) * options.clockRate) / 1000;
    this.durationOf = options.durationOf ?? ((packet) => packet.payload.length);
  }

  /** Takes one arrived packet; `nowMs` is its arrival time on the caller's clock. */
  push(packet: RtpPacket, nowMs: number): PushOutcome {
    this.stats.received++;
    if (this.ssrc !== packet.ssrc) {
      const isNew = this.ssrc !== undefined;
      this.restart(packet, 'new-stream', nowMs);
      return isNew ? 'new-stream' : 'buffered';
    }
    const step = sequenceDistance(this.nextSequence, packet.sequence);
    if (Math.abs(step) > MAX_SEQUENCE_JUMP) {
      this.restart(packet, 'sequence-restart', nowMs);
      return 'sequence-restart';
    }
    if (step < 0 && this.released.size === 0) {
      // Reordered before anything of this stream came out: it starts earlier than its first arrival.
      this.nextSequence = packet.sequence;
    } else if (step < 0) {
      if (this.released.has(packet.sequence)) {
        this.stats.duplicates++;
        return 'duplicate';
      }
      this.stats.late++;
      return 'late';
    }
    if (this.waiting.has(packet.sequence)) {
      this.stats.duplicates++;
      return 'duplicate';
    }
    this.waiting.set(packet.sequence, { packet, arrivedAtMs: nowMs });
    return 'buffered';
  }

  /**
   * Everything that may come out at `nowMs`, in order: packets that follow on, and past each hole that
   * waited `depthMs` (or that later packets already span `depthMs` of audio), its gap.
   */
  pull(nowMs: number): JitterBufferOutput[] {
    this.release(nowMs, false);
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** Everything still waiting, holes declared lost now (the stream ended). */
  drain(): JitterBufferOutput[] {
    this.release(0, true);
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** Packets waiting behind a hole. */
  get waitingPackets(): number {
    return this.waiting.size;
  }

  private restart(packet: RtpPacket, reason: 'new-stream' | 'sequence-restart', nowMs: number): void {
    const previous = this.ssrc;
    this.release(0, true);
    if (previous !== undefined) {
      this.ready.push({ kind: 'discontinuity', reason, ssrc: packet.ssrc, timestampStep: 0, lostPackets: 0 });
      this.stats.discontinuities++;
    }
    this.ssrc = packet.ssrc;
    this.nextSequence = packet.sequence;
    this.expectedTimestamp = undefined;
    this.released.clear();
    this.waiting.set(packet.sequence, { packet, arrivedAtMs: nowMs });
  }

  private release(nowMs: number, force: boolean): void {
    let lostPackets = 0;
    for (;;) {
      const next = this.waiting.get(this.nextSequence);
      if (next) {
        this.waiting.delete(this.nextSequence);
        this.emit(next.packet, lostPackets);
        lostPackets = 0;
        continue;
      }
      if (this.waiting.size === 0) return;
      // A hole at nextSequence: skip it only when waiting longer cannot help.
      let earliest: Waiting | undefined;
      let latest: Waiting | undefined;
      let firstArrival = Infinity;
      for (const entry of this.waiting.values()) {
        const distance = sequenceDistance(this.nextSequence, entry.packet.sequence);
        if (!earliest || distance < sequenceDistance(this.nextSequence, earliest.packet.sequence))
          earliest = entry;
        if (!latest || distance > sequenceDistance(this.nextSequence, latest.packet.sequence)) latest = entry;
        firstArrival = Math.min(firstArrival, entry.arrivedAtMs);
      }
      const spanUnits = timestampDistance(
        this.expectedTimestamp ?? earliest!.packet.timestamp,
        latest!.packet.timestamp,
      );
      if (!force && nowMs - firstArrival < this.depthMs && spanUnits < this.depthUnits) return;
      const skipped = sequenceDistance(this.nextSequence, earliest!.packet.sequence);
      lostPackets += skipped;
      this.nextSequence = earliest!.packet.sequence;
    }
  }

  private emit(packet: RtpPacket, lostPackets: number): void {
    if (this.expectedTimestamp !== undefined) {
      const step = timestampDistance(this.expectedTimestamp, packet.timestamp);
      if (step < 0 || step > this.maxGapUnits) {
        this.ready.push({
          kind: 'discontinuity',
          reason: 'timestamp-jump',
          ssrc: packet.ssrc,
          timestampStep: step,
          lostPackets,
        });
        this.stats.discontinuities++;
        this.stats.lostPackets += lostPackets;
      } else if (step > 0 || lostPackets > 0) {
        this.ready.push({ kind: 'gap', lostPackets, samples: step });
        this.stats.lostPackets += lostPackets;
        this.stats.gapSamples += step;
      }
    } else if (lostPackets > 0) {
      // Lost at a stream's very start: nothing to measure the gap against.
      this.ready.push({ kind: 'gap', lostPackets, samples: 0 });
      this.stats.lostPackets += lostPackets;
    }
    this.ready.push({ kind: 'packet', packet });
    this.stats.released++;
    this.expectedTimestamp = timestampAdd(packet.timestamp, this.durationOf(packet));
    this.nextSequence = sequenceAdd(packet.sequence, 1);
    this.released.add(packet.sequence);
    if (this.released.size > RELEASED_MEMORY) {
      const oldest = this.released.values().next().value;
      if (oldest !== undefined) this.released.delete(oldest);
    }
  }
}
