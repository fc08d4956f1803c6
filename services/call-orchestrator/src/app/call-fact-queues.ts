// One queue of waiting facts per call, drained by one loop per call: a call's facts are applied strictly
// one after the other, in the order fact-order.ts picks, while other calls' loops run on. `apply` settles a
// fact for good (recorded, or dead-lettered) and retries in place what fails for a transient reason, so a
// later fact of the same call never overtakes one that failed.
import type { Logger } from '@callctl/logging';
import { nextFact, type AppliedSequences, type OrderedFact, type OrderOptions } from './fact-order.js';
import type { Clock } from './ports.js';

export interface QueuedFact extends OrderedFact {
  callId: string;
  factId: string;
}

export interface CallFactQueuesOptions<F extends QueuedFact> extends OrderOptions {
  /** Settles one fact; resolves once it is recorded or dead-lettered (or the queues close). */
  apply: (fact: F) => Promise<void>;
  clock: Clock;
  log: Logger;
  /** Calls whose applied sequences are remembered (the least recently used are forgotten). @default 100000 */
  rememberedCalls?: number;
}

interface CallQueue<F> {
  waiting: F[];
  /** The fact being applied, if any. */
  current?: F;
  drained: Array<() => void>;
  /** Ends the loop's wait early: a fact arrived that may go first. */
  wake?: () => void;
}

export class CallFactQueues<F extends QueuedFact> {
  private readonly queues = new Map<string, CallQueue<F>>();
  private readonly applied = new Map<string, AppliedSequences>();
  private closed = false;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly o: CallFactQueuesOptions<F>) {}

  /** Facts received and not yet settled, across calls. */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.waiting.length + (q.current ? 1 : 0);
    return n;
  }

  /**
   * Queues a fact of its call. With `heldUntil`, the fact (and whatever of its call happened after it)
   * waits until that settles, whichever way.
   */
  add(fact: F, heldUntil?: Promise<unknown>): void {
    if (this.closed) return;
    if (heldUntil) {
      fact.heldBack = true;
      void heldUntil
        .catch(() => undefined)
        .then(() => {
          fact.heldBack = false;
          this.queues.get(fact.callId)?.wake?.();
        });
    }
    const q = this.queues.get(fact.callId);
    if (q) {
      q.waiting.push(fact);
      q.wake?.();
      return;
    }
    const started: CallQueue<F> = { waiting: [fact], drained: [] };
    this.queues.set(fact.callId, started);
    const loop = this.drain(fact.callId, started).finally(() => this.running.delete(loop));
    this.running.add(loop);
  }

  /** The facts of a call received and not yet settled (waiting or being applied). */
  unsettled(callId: string): F[] {
    const q = this.queues.get(callId);
    return q ? [...(q.current ? [q.current] : []), ...q.waiting] : [];
  }

  /** Every fact received and not yet settled. */
  all(): F[] {
    return [...this.queues.keys()].flatMap((callId) => this.unsettled(callId));
  }

  /** Resolves when the call has no fact waiting or being applied. */
  idle(callId: string): Promise<void> {
    const q = this.queues.get(callId);
    if (!q) return Promise.resolve();
    return new Promise((resolve) => q.drained.push(resolve));
  }

  /** Stops the loops after the facts being applied; returns the facts that never were. */
  async close(): Promise<F[]> {
    this.closed = true;
    const left = [...this.queues.values()].flatMap((q) => q.waiting);
    for (const q of this.queues.values()) q.wake?.();
    await Promise.all(this.running);
    return left;
  }

  private async drain(callId: string, q: CallQueue<F>): Promise<void> {
    const applied = this.applied.get(callId) ?? {};
    for (;;) {
      if (this.closed) break;
      const next = nextFact(q.waiting, applied, this.o.clock(), this.o);
      if (next.type === 'empty') break;
      if (next.type === 'wait') {
        await new Promise<void>((resolve) => {
          // Infinity: only a release (or a new fact, or closing) ends the wait.
          const timer = Number.isFinite(next.ms)
            ? setTimeout(() => ((q.wake = undefined), resolve()), next.ms)
            : undefined;
          q.wake = () => (clearTimeout(timer), (q.wake = undefined), resolve());
        });
        continue;
      }
      const [fact] = q.waiting.splice(next.index, 1) as [F];
      if (next.gap)
        this.o.log.warn(
          {
            callId,
            factId: fact.factId,
            source: fact.source,
            sequence: fact.sequence,
            after: applied[fact.source],
          },
          'fact applied without its predecessor from the same source (lost, or applied before a restart)',
        );
      q.current = fact;
      // apply settles the fact itself; whatever escapes it (a connection closed under an ack) must not
      // stop the call's loop: the message, left unsettled, is redelivered.
      await this.o
        .apply(fact)
        .catch((error: unknown) =>
          this.o.log.error({ callId, factId: fact.factId, err: error }, 'fact not settled'),
        );
      q.current = undefined;
      if (fact.sequence > 0) applied[fact.source] = Math.max(applied[fact.source] ?? 0, fact.sequence);
    }
    this.remember(callId, applied);
    // A fact added while closing stays unsettled: its message is redelivered (after ack_wait).
    this.queues.delete(callId);
    for (const resolve of q.drained) resolve();
  }

  private remember(callId: string, applied: AppliedSequences): void {
    this.applied.delete(callId);
    this.applied.set(callId, applied);
    const limit = this.o.rememberedCalls ?? 100_000;
    for (const oldest of this.applied.keys()) {
      if (this.applied.size <= limit) break;
      this.applied.delete(oldest);
    }
  }
}
