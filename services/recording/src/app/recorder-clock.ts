// The one 20 ms clock of a recording service process: a single MediaClock tick services every running
// part recorder in turn, instead of one timer per recording (hundreds of timers firing out of phase would
// cost a wake-up each and make the per-frame work impossible to batch). It runs only while recorders are
// registered, so an idle process, or a test, has no timer left.
import { MediaClock, systemTimers, type ClockTimers, type FrameTick } from '@callctl/rtp';

export const FRAME_MS = 20;

/** What the clock drives: one call per tick, with the tick's due time and the actual time. */
export interface ClockedRecorder {
  onTick(tick: FrameTick, nowMs: number): void;
}

export interface RecorderClockStats {
  ticks: number;
  /** Work done in the last tick and the most any tick took (ms): the engine's CPU per 20 ms. */
  lastTickMs: number;
  /** All ticks' work together (ms): with `ticks`, the mean. */
  totalTickMs: number;
  maxTickMs: number;
  /** Ticks delivered late by a full frame or more (the event loop stalled). */
  lateTicks: number;
}

export class RecorderClock {
  private readonly recorders = new Set<ClockedRecorder>();
  private readonly clock: MediaClock;
  private running = false;
  readonly stats: RecorderClockStats = {
    ticks: 0,
    lastTickMs: 0,
    totalTickMs: 0,
    maxTickMs: 0,
    lateTicks: 0,
  };

  constructor(
    private readonly timers: ClockTimers = systemTimers,
    /** A recorder's tick threw: the clock goes on for the others. */
    private readonly onRecorderError: (recorder: ClockedRecorder, error: unknown) => void = () => undefined,
  ) {
    this.clock = new MediaClock((tick) => this.tick(tick), FRAME_MS, timers);
  }

  get size(): number {
    return this.recorders.size;
  }

  /** The clock's time source (ms, monotonic): the same as RtpSocket's arrival times. */
  now(): number {
    return this.timers.now();
  }

  add(recorder: ClockedRecorder): void {
    this.recorders.add(recorder);
    if (!this.running) {
      this.running = true;
      this.clock.start();
    }
  }

  remove(recorder: ClockedRecorder): void {
    this.recorders.delete(recorder);
    if (this.recorders.size === 0) this.stop();
  }

  /** Stops ticking and forgets every recorder (service shutdown). */
  close(): void {
    this.recorders.clear();
    this.stop();
  }

  private stop(): void {
    if (!this.running) return;
    this.running = false;
    this.clock.stop();
  }

  private tick(tick: FrameTick): void {
    const started = this.timers.now();
    if (tick.lateByMs >= FRAME_MS) this.stats.lateTicks++;
    for (const recorder of this.recorders) {
      try {
        recorder.onTick(tick, started);
      } catch (error) {
        this.onRecorderError(recorder, error);
      }
    }
    const spent = this.timers.now() - started;
    this.stats.ticks++;
    this.stats.lastTickMs = spent;
    this.stats.totalTickMs += spent;
    if (spent > this.stats.maxTickMs) this.stats.maxTickMs = spent;
  }
}
