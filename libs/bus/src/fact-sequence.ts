/**
 * Numbers the facts one source (a sip-edge, a media-worker) reports about each call: 1, 2, 3, ... in the
 * order they are handed over for publishing (facts.v1 `source_sequence`). The orchestrator applies a call's
 * facts from one source in this order and holds one whose predecessor it has not seen (for a bounded time),
 * so a number must be taken only for a fact that is published: a skipped number makes the next fact wait.
 * Counters of the least recently numbered calls are forgotten beyond `maxCalls`; a call numbered again
 * after that starts over at 1, which the orchestrator applies at once (a sequence it has passed).
 */
export class FactSequence {
  private readonly last = new Map<string, number>();

  /** @param maxCalls calls whose counters are kept. @default 100000 */
  constructor(private readonly maxCalls = 100_000) {}

  next(callId: string): number {
    const n = (this.last.get(callId) ?? 0) + 1;
    this.last.delete(callId);
    this.last.set(callId, n);
    for (const oldest of this.last.keys()) {
      if (this.last.size <= this.maxCalls) break;
      this.last.delete(oldest);
    }
    return n;
  }
}
