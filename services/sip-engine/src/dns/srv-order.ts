// RFC 2782 ordering of SRV records: ascending priority; within one priority a weighted random draw, so
// load spreads by weight and a weight of 0 is picked only when nothing heavier is left.
import type { SrvRecord } from './dns-records.js';

/** `random()` in [0, 1): injected so tests can pin the weighted draw. */
export function orderSrv(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  // A single "." target means the service is decidedly not available at this domain (RFC 2782).
  const usable = records.filter((r) => r.target !== '' && r.target !== '.');
  const priorities = [...new Set(usable.map((r) => r.priority))].sort((a, b) => a - b);
  const ordered: SrvRecord[] = [];
  for (const priority of priorities) {
    // Zero weights first, as RFC 2782 asks, so they sit at the low end of the running sums.
    const left = usable
      .filter((r) => r.priority === priority)
      .sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (left.length > 0) {
      const total = left.reduce((sum, r) => sum + r.weight, 0);
      // An integer in [0, total]: the first record whose running sum reaches it is next.
      const draw = Math.floor(random() * (total + 1));
      let running = 0;
      const index = left.findIndex((r) => (running += r.weight) >= draw);
      ordered.push(left.splice(index, 1)[0]!);
    }
  }
  return ordered;
}
