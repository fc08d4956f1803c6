import { createBatcher, type BatchOutcome } from './batcher';

/** A batcher over numbers whose run is released by hand, so the tests see what queues behind it. */
function manualBatcher(maxBatchWeight: number) {
  const runs: { items: readonly number[]; settle(outcomes: BatchOutcome<string>[] | Error): void }[] = [];
  const submit = createBatcher<number, string>({
    maxBatchWeight,
    weight: (n) => n,
    run: (items) =>
      new Promise((resolve, reject) =>
        runs.push({ items, settle: (o) => (o instanceof Error ? reject(o) : resolve(o)) }),
      ),
  });
  return { submit, runs };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const echo = (items: readonly number[]): BatchOutcome<string>[] =>
  items.map((n) => ({ ok: true, value: `v${n}` }));

describe('batcher', () => {
  it('sends appends of one turn together, and what queues meanwhile as the next batch, in order', async () => {
    const { submit, runs } = manualBatcher(100);
    const first = [submit(1), submit(2)];
    await flush();
    expect(runs.map((r) => r.items)).toEqual([[1, 2]]);
    const later = [submit(3), submit(4), submit(5)];
    await flush();
    expect(runs).toHaveLength(1); // one batch in flight at a time
    runs[0]!.settle(echo(runs[0]!.items));
    await expect(Promise.all(first)).resolves.toEqual(['v1', 'v2']);
    await flush();
    expect(runs.map((r) => r.items)).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    runs[1]!.settle(echo(runs[1]!.items));
    await expect(Promise.all(later)).resolves.toEqual(['v3', 'v4', 'v5']);
  });

  it('settles each caller with its own outcome', async () => {
    const { submit, runs } = manualBatcher(100);
    const results = [submit(1), submit(2), submit(3)].map((p) => p.then(String, (e: Error) => e.message));
    await flush();
    runs[0]!.settle([
      { ok: true, value: 'a' },
      { ok: false, error: new Error('conflict') },
      { ok: true, value: 'c' },
    ]);
    await expect(Promise.all(results)).resolves.toEqual(['a', 'conflict', 'c']);
  });

  it('rejects every caller of a failed batch with its error and goes on with the next batch', async () => {
    const { submit, runs } = manualBatcher(100);
    const failed = [submit(1), submit(2)].map((p) => p.catch((e: unknown) => e));
    await flush();
    const next = submit(3);
    const lost = new Error('connection terminated');
    runs[0]!.settle(lost);
    await expect(Promise.all(failed)).resolves.toEqual([lost, lost]);
    await flush();
    runs[1]!.settle(echo(runs[1]!.items));
    await expect(next).resolves.toBe('v3');
  });

  it('keeps a batch within the weight bound, and sends a heavier item alone', async () => {
    const { submit, runs } = manualBatcher(10);
    const all = [4, 5, 2, 30, 1].map((n) => submit(n));
    for (let i = 0; i < 4; i++) {
      await flush();
      runs[i]!.settle(echo(runs[i]!.items));
    }
    await expect(Promise.all(all)).resolves.toEqual(['v4', 'v5', 'v2', 'v30', 'v1']);
    expect(runs.map((r) => r.items)).toEqual([[4, 5], [2], [30], [1]]);
  });

  it('rejects a caller left without an outcome instead of leaving it pending', async () => {
    const { submit, runs } = manualBatcher(10);
    const results = [submit(1), submit(2)].map((p) => p.then(String, (e: Error) => e.message));
    await flush();
    runs[0]!.settle([{ ok: true, value: 'a' }]);
    await expect(Promise.all(results)).resolves.toEqual(['a', 'batch returned 1 outcomes for 2']);
  });

  it('sends a lone item through runOne when given, and its failure to its caller alone', async () => {
    const batches: (number | number[])[] = [];
    const submit = createBatcher<number, string>({
      maxBatchWeight: 10,
      weight: () => 1,
      runOne: async (n) => {
        batches.push(n);
        if (n === 2) throw new Error('two refused');
        return `one ${n}`;
      },
      run: async (items) => {
        batches.push([...items]);
        return echo(items);
      },
    });
    await expect(submit(1)).resolves.toBe('one 1');
    await expect(submit(2)).rejects.toThrow('two refused');
    await expect(Promise.all([submit(3), submit(4)])).resolves.toEqual(['v3', 'v4']);
    expect(batches).toEqual([1, 2, [3, 4]]);
  });
});
