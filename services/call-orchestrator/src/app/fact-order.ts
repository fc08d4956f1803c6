// Which of a call's waiting facts is applied next. Facts come from two sources (sip-edge, the
// media-worker); each stamps its facts with a sequence per call and the time it saw them. A call's facts
// are applied one after the other:
// - from one source, in sequence order: a fact whose predecessor has not been applied yet (overtaken on a
//   redelivery, or its predecessor still on its way) waits for it, at most `holdMs`; after that it is applied
//   anyway (the predecessor may be lost, or was applied before this process started);
// - across sources, by the time they happened: among the facts free to go, the earliest goes first;
// - a fact that ends a leg waits until `crossSourceGraceMs` after it happened, so that what the other source
//   saw before it (a digit the media-worker heard before the BYE) has the time to arrive and go first;
// - a late fact (it happened more than `lateAfterMs` before it arrived: held up by an outage of NATS or of
//   this process) waits `reorderWindowMs` after it arrived, so that the call's other late facts, which the
//   two sources publish in an arbitrary order once they reconnect, gather and go in the order they happened.
//   Fresh facts are not delayed;
// - a fact held back (waiting for a check outside, e.g. the media-worker publishing what it holds) waits
//   until released, and so does what happened after it.
// Unstamped facts (sequence 0) are ordered by arrival.

// The recording service counts its facts per recording, not per call: they go unstamped (sequence 0, in
// arrival order) here, which its facts allow (a part saved twice, or after the final one, records nothing).
// So does the stream gateway, per stream.
export const FACT_SOURCES = {
  sip: 'sip',
  media: 'media',
  recording: 'recording',
  stream: 'stream',
} as const;
export type FactSource = (typeof FACT_SOURCES)[keyof typeof FACT_SOURCES];

export interface OrderedFact {
  source: FactSource;
  /** The source's sequence of this fact in its call; 0 when unstamped. */
  sequence: number;
  /** When the source saw it; 0 when unstamped. */
  occurredAtMs: number;
  /** When this process received it. */
  arrivedAtMs: number;
  /** Ends a leg: waits for the other source's earlier facts (see crossSourceGraceMs). */
  endsLeg: boolean;
  /** Waits for a check outside the queue before it may go (released by clearing it). */
  heldBack?: boolean;
}

export interface OrderOptions {
  /** How long a fact waits for its predecessor from the same source. */
  holdMs: number;
  /** How long after it happened a leg-ending fact waits for the other source's earlier facts. */
  crossSourceGraceMs: number;
  /** A fact that happened longer than this before it arrived is late (see reorderWindowMs). */
  lateAfterMs: number;
  /** How long after it arrived a late fact waits for the call's other late facts. */
  reorderWindowMs: number;
}

/** Whether the fact was held up on its way (an outage): it happened more than `lateAfterMs` before it arrived. */
export function isLate(f: Pick<OrderedFact, 'occurredAtMs' | 'arrivedAtMs'>, lateAfterMs: number): boolean {
  return f.occurredAtMs > 0 && f.arrivedAtMs - f.occurredAtMs > lateAfterMs;
}

/** The last sequence applied per source, for one call. */
export type AppliedSequences = Partial<Record<FactSource, number>>;

export type NextFact =
  | { type: 'apply'; index: number; /** applied without its predecessor */ gap: boolean }
  /** Nothing may go before `ms` (Infinity: before a held-back fact is released). */
  | { type: 'wait'; ms: number }
  | { type: 'empty' };

export function nextFact(
  waiting: readonly OrderedFact[],
  applied: AppliedSequences,
  nowMs: number,
  o: OrderOptions,
): NextFact {
  if (waiting.length === 0) return { type: 'empty' };
  let best: { index: number; gap: boolean; at: number } | undefined;
  let waitMs = Infinity;
  let earliestWaiting = Infinity;
  for (const [index, f] of waiting.entries()) {
    // Only the lowest sequence of each source is a candidate: its successors wait behind it.
    if (waiting.some((g) => g.source === f.source && g.sequence < f.sequence && g.sequence > 0)) continue;
    const at = f.occurredAtMs > 0 ? f.occurredAtMs : f.arrivedAtMs;
    const last = applied[f.source];
    const inOrder = f.sequence === 0 || last === undefined || f.sequence <= last + 1;
    const readyAt = f.heldBack
      ? Infinity
      : Math.max(
          inOrder ? 0 : f.arrivedAtMs + o.holdMs,
          f.endsLeg && f.occurredAtMs > 0 ? f.occurredAtMs + o.crossSourceGraceMs : 0,
          isLate(f, o.lateAfterMs) ? f.arrivedAtMs + o.reorderWindowMs : 0,
        );
    if (nowMs < readyAt) {
      waitMs = Math.min(waitMs, readyAt - nowMs);
      earliestWaiting = Math.min(earliestWaiting, at);
    } else if (!best || at < best.at) best = { index, gap: !inOrder, at };
  }
  // What goes now must not overtake something that happened before it and still waits (bounded by that
  // one's hold or grace).
  if (!best || earliestWaiting < best.at) return { type: 'wait', ms: Math.max(1, waitMs) };
  return { type: 'apply', index: best.index, gap: best.gap };
}
