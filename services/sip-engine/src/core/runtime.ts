// The engine's view of time and randomness, injected so tests can drive timers and assert exact ids.
import { randomInt, randomUUID } from 'node:crypto';
import { newBranch, newTag } from '@callctl/sip';

export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): Date;
  /** Runs `fn` once after `ms`; cancel() before it fires makes it a no-op. */
  after(ms: number, fn: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => new Date(),
  after: (ms, fn) => {
    // Unref'd: protocol timers never keep a process alive on their own (the sockets do).
    const handle = setTimeout(fn, ms).unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * A clock whose callbacks cannot throw out of a timer (that would end the process): a failure is handed to
 * `onError` and the engine carries on.
 */
export function guardedClock(clock: Clock, onError: (err: unknown) => void): Clock {
  return {
    now: () => clock.now(),
    after: (ms, fn) =>
      clock.after(ms, () => {
        try {
          fn();
        } catch (err) {
          onError(err);
        }
      }),
  };
}

export interface IdSource {
  /** Transaction ids and admin message ids (UUIDs, as the real server uses). */
  uuid(): string;
  tag(): string;
  branch(): string;
  callId(): string;
  /** First CSeq number of a request or dialog we start. */
  cseq(): number;
}

export const randomIds: IdSource = {
  uuid: () => randomUUID(),
  tag: newTag,
  branch: newBranch,
  callId: () => randomUUID(),
  cseq: () => 1 + randomInt(100_000_000),
};
