import type { Clock, Timer } from './runtime.js';

/** A clock that only moves when told to: protocol timers become deterministic in tests. */
export class ManualClock implements Clock {
  private nowMs = 0;
  private readonly timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];

  now(): Date {
    return new Date(this.nowMs);
  }

  after(ms: number, fn: () => void): Timer {
    const entry = { at: this.nowMs + ms, fn, cancelled: false };
    this.timers.push(entry);
    return { cancel: () => void (entry.cancelled = true) };
  }

  /** Moves time forward, firing due timers in order (timers they start fire too, if due). */
  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.cancelled = true;
      this.nowMs = due.at;
      due.fn();
    }
    this.nowMs = until;
    for (let i = this.timers.length - 1; i >= 0; i--) if (this.timers[i]!.cancelled) this.timers.splice(i, 1);
  }

  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
