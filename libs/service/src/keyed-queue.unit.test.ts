import { KeyedQueue } from './keyed-queue.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedQueue', () => {
  it('runs one call’s work in the order it was asked for, one at a time', async () => {
    const locks = new KeyedQueue();
    const log: string[] = [];
    let release!: () => void;
    const first = locks.run('c1', async () => {
      log.push('first start');
      await new Promise<void>((resolve) => (release = resolve));
      log.push('first end');
    });
    const second = locks.run('c1', async () => void log.push('second'));
    const other = locks.run('c2', async () => void log.push('other call'));
    await tick();
    expect(log).toEqual(['first start', 'other call']);
    release();
    await Promise.all([first, second, other]);
    expect(log).toEqual(['first start', 'other call', 'first end', 'second']);
  });

  it('goes on after a failure, which only its own caller sees', async () => {
    const locks = new KeyedQueue();
    const failed = locks.run('c1', async () => {
      throw new Error('boom');
    });
    const next = locks.run('c1', async () => 'ok');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ok');
  });
});

describe('KeyedQueue.idle', () => {
  it('waits for every task asked for so far, of every key', async () => {
    const queue = new KeyedQueue();
    const done: string[] = [];
    void queue.run('a', async () => {
      await tick();
      done.push('a');
    });
    void queue.run('b', async () => {
      await tick();
      await tick();
      done.push('b');
    });
    await queue.idle();
    expect(done.sort()).toEqual(['a', 'b']);
  });
});
