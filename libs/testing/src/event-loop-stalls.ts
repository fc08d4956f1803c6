/**
 * When this process's event loop was held (GC, the box's cores busy with other work), seen as the lateness of a
 * 5 ms timer. A test that times RTP arrivals in its own process, or sends RTP from it, sees such a stall as a
 * gap or as jitter that the platform under test did not cause: it widens its bounds by the stalls inside the
 * window it measures, and no more.
 */
export interface EventLoopStalls {
  /** The longest stall that overlapped `[from, to)` (Date.now() times), 0 when none. */
  longestWithin(from: number, to: number): number;
  stop(): void;
}

const TICK_MS = 5;
/** Lateness below this is the timer's own noise, not kept. */
const KEPT_ABOVE_MS = 5;

export function watchEventLoopStalls(): EventLoopStalls {
  const stalls: Array<{ from: number; to: number }> = [];
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - last - TICK_MS > KEPT_ABOVE_MS) stalls.push({ from: last, to: now });
    last = now;
  }, TICK_MS);
  timer.unref();
  return {
    longestWithin: (from, to) =>
      stalls
        .filter((s) => s.to > from && s.from < to)
        .reduce((longest, s) => Math.max(longest, s.to - s.from - TICK_MS), 0),
    stop: () => clearInterval(timer),
  };
}
