// Coalesces a store's concurrent requests into batches, one batch in flight at a time: requests that
// arrive meanwhile wait in order, and when it settles the waiting ones go together as the next batch. An
// idle store still sends a lone request at once.
// - Group commit for appends: every append transaction holds the log's advisory lock until its commit
//   has flushed WAL, so appends sent one by one queue on that lock behind one fsync each; a batch is one
//   transaction, one lock, one fsync, one round trip.
// - Stream reads: a batch is one query for every stream read waiting (loading 10,000 calls one query at a
//   time, a round trip each, took 22 s at the orchestrator's start on the 2-core box).

/** How one item of a batch ended: what its caller's promise settles with. */
export type BatchOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface BatcherOptions<T, R> {
  /**
   * Runs one batch (one transaction, one query): one outcome per item, in item order. A rejection
   * (connection lost, timeout) fails the whole batch: every caller in it gets that error (for appends:
   * the transaction did not commit).
   */
  run(items: readonly T[]): Promise<readonly BatchOutcome<R>[]>;
  /** A batch of one item goes here instead, when given (a lone request keeps its own statement). */
  runOne?(item: T): Promise<R>;
  /** The weight of an item (an append's event count) counted against `maxBatchWeight`. */
  weight(item: T): number;
  /** A batch holds items while their total weight stays within this, and always at least one item. */
  maxBatchWeight: number;
  /** Told of each batch before it runs (item count, total weight), for metrics and tests. */
  onBatch?(items: number, weight: number): void;
}

interface Waiting<T, R> {
  item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

export type Batcher<T, R> = (item: T) => Promise<R>;

export function createBatcher<T, R>(options: BatcherOptions<T, R>): Batcher<T, R> {
  const queue: Waiting<T, R>[] = [];
  let draining = false;

  /** Takes from the head of the queue (order is kept: items run in the order they were submitted). */
  function takeBatch(): { batch: Waiting<T, R>[]; weight: number } {
    let weight = options.weight(queue[0]!.item);
    let n = 1;
    while (n < queue.length) {
      const next = options.weight(queue[n]!.item);
      if (weight + next > options.maxBatchWeight) break;
      weight += next;
      n++;
    }
    return { batch: queue.splice(0, n), weight };
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const { batch, weight } = takeBatch();
      options.onBatch?.(batch.length, weight);
      let outcomes: readonly BatchOutcome<R>[];
      try {
        const runOne = options.runOne;
        outcomes =
          batch.length === 1 && runOne
            ? [
                await runOne(batch[0]!.item).then(
                  (value) => ({ ok: true, value }) as const,
                  (error: unknown) => ({ ok: false, error }) as const,
                ),
              ]
            : await options.run(batch.map((w) => w.item));
      } catch (error) {
        for (const w of batch) w.reject(error);
        continue;
      }
      batch.forEach((w, i) => {
        const outcome = outcomes[i];
        if (!outcome) w.reject(new Error(`batch returned ${outcomes.length} outcomes for ${batch.length}`));
        else if (outcome.ok) w.resolve(outcome.value);
        else w.reject(outcome.error);
      });
    }
    draining = false;
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (draining) return;
      draining = true;
      // Deferred by a microtask, so requests made in the same turn of the event loop start as one batch.
      queueMicrotask(() => void drain());
    });
}
