import { type ClockTimers, type FrameTick, MediaClock } from './media-clock.js';

/** A time source the test moves by hand; timers fire when it passes their due time (late by `lag` ms). */
class ManualTimers implements ClockTimers {
  time = 1000;
  lag = 0;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 0;
  /** Every delay the clock asked for. */
  readonly delays: number[] = [];

  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    this.delays.push(ms);
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  /** Moves time on to `until`, firing due timers, each `lag` ms after its due time. */
  advanceTo(until: number): void {
    for (;;) {
      const due = this.timers.sort((a, b) => a.at - b.at)[0];
      if (!due || due.at + this.lag > until) break;
      this.timers.shift();
      this.time = due.at + this.lag;
      due.callback();
    }
    this.time = until;
  }
  get pending(): number {
    return this.timers.length;
  }
}

describe('MediaClock', () => {
  it('ticks every 20 ms from its start', () => {
    const timers = new ManualTimers();
    const ticks: FrameTick[] = [];
    const clock = new MediaClock((tick) => ticks.push(tick), 20, timers);
    clock.start();
    timers.advanceTo(1100);
    expect(ticks.map((t) => t.frame)).toEqual([0, 1, 2, 3, 4]);
    expect(ticks.map((t) => t.dueAtMs)).toEqual([1020, 1040, 1060, 1080, 1100]);
    clock.stop();
  });

  it('does not drift when every timer fires late: each delay is shortened to the next due time', () => {
    const timers = new ManualTimers();
    timers.lag = 3; // every timer 3 ms late, as under load
    const ticks: FrameTick[] = [];
    const clock = new MediaClock((tick) => ticks.push(tick), 20, timers);
    clock.start();
    timers.advanceTo(1000 + 50 * 20 + 3);
    // 50 frames in 1 s: an accumulating setTimeout(20) would have managed 1000 / 23 ≈ 43.
    expect(ticks).toHaveLength(50);
    expect(ticks.at(-1)).toEqual({ frame: 49, dueAtMs: 2000, lateByMs: 3 });
    expect(timers.delays.slice(1).every((d) => d === 17)).toBe(true);
    clock.stop();
  });

  it('delivers every frame missed during a stall, in order, with how late each was', () => {
    const timers = new ManualTimers();
    const ticks: FrameTick[] = [];
    const clock = new MediaClock((tick) => ticks.push(tick), 20, timers);
    clock.start();
    timers.lag = 95; // the event loop is blocked for ~95 ms once
    timers.advanceTo(1115);
    expect(ticks.map((t) => [t.frame, t.lateByMs])).toEqual([
      [0, 95],
      [1, 75],
      [2, 55],
      [3, 35],
      [4, 15],
    ]);
    timers.lag = 0;
    timers.advanceTo(1140);
    expect(ticks.map((t) => t.frame)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    clock.stop();
  });

  it('stops: no tick after stop(), no timer left, even when stopped from inside a tick', () => {
    const timers = new ManualTimers();
    const ticks: number[] = [];
    const clock = new MediaClock(
      (tick) => {
        ticks.push(tick.frame);
        if (tick.frame === 2) clock.stop();
      },
      20,
      timers,
    );
    clock.start();
    timers.advanceTo(2000);
    expect(ticks).toEqual([0, 1, 2]);
    expect(timers.pending).toBe(0);
  });

  it('runs on the real timers too', async () => {
    const ticks: FrameTick[] = [];
    const clock = new MediaClock((tick) => ticks.push(tick), 10);
    clock.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    clock.stop();
    const count = ticks.length;
    expect(count).toBeGreaterThan(5);
    expect(ticks.map((t) => t.frame)).toEqual([...Array(count).keys()]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ticks).toHaveLength(count);
  });
});
