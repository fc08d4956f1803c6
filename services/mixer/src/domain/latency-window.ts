// The added latency of the recent frames of one participant, for GetRoom's p50/p99: a fixed ring of the
// last WINDOW values (recorded every 20 ms, so the last 5 s), sorted only when asked.

export const LATENCY_WINDOW = 250;

export class LatencyWindow {
  private readonly values = new Float64Array(LATENCY_WINDOW);
  private count = 0;
  private next = 0;

  record(microseconds: number): void {
    this.values[this.next] = microseconds;
    this.next = (this.next + 1) % LATENCY_WINDOW;
    if (this.count < LATENCY_WINDOW) this.count++;
  }

  /** The q-quantile (0..1) of the window, nearest rank; 0 when nothing was recorded. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const sorted = this.values.slice(0, this.count).sort();
    const rank = Math.min(this.count - 1, Math.max(0, Math.ceil(q * this.count) - 1));
    return sorted[rank]!;
  }
}
