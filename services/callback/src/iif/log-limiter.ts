// Drops at the IIF come from the network, so a flood must not become a flood of log lines: one line per
// reason per interval, carrying how many were kept quiet since the last one.

export interface LogLimiter {
  /** undefined: stay quiet; otherwise log now, and this many of the same reason were not logged before. */
  admit(reason: string): number | undefined;
}

/** `reason` must come from a small fixed set (the map holds one entry per reason). */
export function createLogLimiter(intervalMs: number, now: () => number = Date.now): LogLimiter {
  const byReason = new Map<string, { loggedAt: number; suppressed: number }>();
  return {
    admit(reason) {
      const t = now();
      const entry = byReason.get(reason);
      if (entry && t - entry.loggedAt < intervalMs) {
        entry.suppressed += 1;
        return undefined;
      }
      byReason.set(reason, { loggedAt: t, suppressed: 0 });
      return entry?.suppressed ?? 0;
    },
  };
}
