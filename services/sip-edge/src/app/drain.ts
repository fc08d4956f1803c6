import { hasEnded, type LegRegistry } from './leg-registry.js';

/** How often a drain looks whether the calls have ended: a leg's end has no event of its own to wait on. */
const DRAIN_POLL_MS = 250;

/** The legs sip-edge still holds that have not ended. */
export function liveLegCount(registry: LegRegistry): number {
  return registry.all().filter((leg) => !hasEnded(leg)).length;
}

/**
 * Resolves once every leg has ended, or when maxMs has passed; with the number of legs still up then (0
 * when the calls ended on their own).
 */
export async function waitForLegsToEnd(registry: LegRegistry, maxMs: number): Promise<number> {
  const deadline = performance.now() + maxMs;
  for (;;) {
    const live = liveLegCount(registry);
    const left = deadline - performance.now();
    if (live === 0 || left <= 0) return live;
    await new Promise((resolve) => setTimeout(resolve, Math.min(DRAIN_POLL_MS, left)));
  }
}
