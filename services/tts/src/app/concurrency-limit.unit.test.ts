import { ConcurrencyLimit } from './concurrency-limit';

describe('ConcurrencyLimit', () => {
  it('runs at most `limit` at once; the rest start in arrival order as places free', async () => {
    const limit = new ConcurrencyLimit(2);
    const order: string[] = [];
    const releases: Array<() => void> = [];
    const task = (name: string) =>
      limit.run(new AbortController().signal, () => {
        order.push(name);
        return new Promise<void>((resolve) => releases.push(resolve));
      });
    const all = ['a', 'b', 'c', 'd'].map(task);
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a', 'b']);
    expect(limit.load).toEqual({ running: 2, waiting: 2 });
    releases[0]!();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a', 'b', 'c']);
    releases.slice(1).forEach((r) => r());
    await new Promise((r) => setImmediate(r));
    releases.forEach((r) => r());
    await Promise.all(all);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(limit.load).toEqual({ running: 0, waiting: 0 });
  });

  it('drops a waiter whose signal aborts, without taking a place', async () => {
    const limit = new ConcurrencyLimit(1);
    let release!: () => void;
    const first = limit.run(new AbortController().signal, () => new Promise<void>((r) => (release = r)));
    const impatient = new AbortController();
    let ran = false;
    const waiting = limit.run(impatient.signal, async () => {
      ran = true;
    });
    impatient.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    expect(limit.load).toEqual({ running: 1, waiting: 0 });
    release();
    await first;
    expect(ran).toBe(false);
    expect(limit.load.running).toBe(0);
  });

  it('frees the place when the work fails', async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(
      limit.run(new AbortController().signal, async () => Promise.reject(new Error('x'))),
    ).rejects.toThrow('x');
    await expect(limit.run(new AbortController().signal, async () => 'ok')).resolves.toBe('ok');
  });
});
