import { createLogger } from '@callctl/logging';
import { keepRunning, type Runner } from './keep-running.js';

const log = createLogger({ service: 'keep-running-test', level: 'silent' });

/** A runner that stops with an error when `fail` is called, or cleanly on close(). */
function runner() {
  let stop!: (value: void | Error) => void;
  const closed = new Promise<void | Error>((resolve) => (stop = resolve));
  const r: Runner & { fail(): void } = {
    close: async () => stop(undefined),
    closed: () => closed,
    fail: () => stop(new Error('connection terminated')),
  };
  return r;
}

describe('keepRunning', () => {
  it('starts a runner again after it failed, and stops for good on close', async () => {
    const started: ReturnType<typeof runner>[] = [];
    const kept = keepRunning('test', () => (started.push(runner()), started.at(-1)!), log, 1);
    started[0]!.fail();
    while (started.length < 2) await new Promise((resolve) => setTimeout(resolve, 2));
    await kept.close();
    expect(await kept.closed()).toBeUndefined();
    expect(started).toHaveLength(2);
  });
});
