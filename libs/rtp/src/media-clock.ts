// A frame clock (20 ms by default) that drives frame pulls without drift: frame n is due at
// start + n × frameMs, computed from the start, so a late timer delays one tick but never shifts the ones
// after it (accumulated setTimeout(20) loses about a millisecond a tick under load). When the event loop
// stalls for several frames, each missed frame is still delivered, in order, with its own due time.

/** The time source and timer a clock runs on; tests inject a manual one. */
export interface ClockTimers {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: ClockTimers = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One tick: the frame's index since start (0, 1, …) and when it was due on the clock's time source. */
export interface FrameTick {
  frame: number;
  dueAtMs: number;
  /** How late it fired (≥ 0): a consumer may log a stall. */
  lateByMs: number;
}

export class MediaClock {
  private startMs = 0;
  private nextFrame = 0;
  private handle: unknown;
  private running = false;

  constructor(
    private readonly onFrame: (tick: FrameTick) => void,
    private readonly frameMs = 20,
    private readonly timers: ClockTimers = systemTimers,
  ) {
    if (!(frameMs > 0)) throw new RangeError(`frameMs must be > 0, got ${frameMs}`);
  }

  /** Starts ticking; the first frame (0) is due one frame after now. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startMs = this.timers.now();
    this.nextFrame = 0;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }

  /** When frame `frame` is due, on the time source. */
  dueAt(frame: number): number {
    return this.startMs + (frame + 1) * this.frameMs;
  }

  private schedule(): void {
    const delay = Math.max(0, this.dueAt(this.nextFrame) - this.timers.now());
    this.handle = this.timers.setTimeout(() => this.fire(), delay);
  }

  private fire(): void {
    this.handle = undefined;
    const now = this.timers.now();
    while (this.running && this.dueAt(this.nextFrame) <= now) {
      const frame = this.nextFrame++;
      const dueAtMs = this.dueAt(frame);
      this.onFrame({ frame, dueAtMs, lateByMs: now - dueAtMs });
    }
    if (this.running) this.schedule();
  }
}
