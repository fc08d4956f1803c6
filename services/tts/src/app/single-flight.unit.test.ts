import { SingleFlight } from './single-flight';

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('SingleFlight', () => {
  it('runs the work once for concurrent callers of one key, and again once it is done', async () => {
    const flights = new SingleFlight<string>();
    const gate = deferred<string>();
    let runs = 0;
    const work = () => {
      runs++;
      return gate.promise;
    };
    const callers = [1, 2, 3].map(() => flights.run('k', new AbortController().signal, work));
    expect(flights.size).toBe(1);
    gate.resolve('made');
    expect(await Promise.all(callers)).toEqual(['made', 'made', 'made']);
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
    await flights.run('k', new AbortController().signal, async () => 'again');
    expect(runs).toBe(1);
  });

  it('keeps different keys apart and shares a failure with every caller', async () => {
    const flights = new SingleFlight<string>();
    const a = flights.run('a', new AbortController().signal, async () => 'A');
    const b1 = flights.run('b', new AbortController().signal, async () => Promise.reject(new Error('down')));
    const b2 = flights.run('b', new AbortController().signal, async () => 'never');
    await expect(a).resolves.toBe('A');
    await expect(b1).rejects.toThrow('down');
    await expect(b2).rejects.toThrow('down');
  });

  it('lets one caller leave without stopping the work for the others', async () => {
    const flights = new SingleFlight<string>();
    const gate = deferred<string>();
    let workSignal: AbortSignal | undefined;
    const leaver = new AbortController();
    const left = flights.run('k', leaver.signal, (signal) => {
      workSignal = signal;
      return gate.promise;
    });
    const stays = flights.run('k', new AbortController().signal, () => gate.promise);
    leaver.abort(new Error('deadline'));
    await expect(left).rejects.toThrow('deadline');
    expect(workSignal?.aborted).toBe(false);
    gate.resolve('made');
    await expect(stays).resolves.toBe('made');
  });

  it('aborts the work when every caller has left', async () => {
    const flights = new SingleFlight<string>();
    const callers = [new AbortController(), new AbortController()];
    let workSignal: AbortSignal | undefined;
    const waits = callers.map((c) =>
      flights.run('k', c.signal, (signal) => {
        workSignal = signal;
        return new Promise<string>(() => undefined);
      }),
    );
    await Promise.resolve();
    callers[0]!.abort(new Error('gone'));
    await expect(waits[0]).rejects.toThrow('gone');
    expect(workSignal?.aborted).toBe(false);
    callers[1]!.abort(new Error('gone too'));
    await expect(waits[1]).rejects.toThrow('gone too');
    expect(workSignal?.aborted).toBe(true);
    expect(flights.size).toBe(0);
  });
});
