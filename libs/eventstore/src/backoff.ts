/** Capped exponential backoff with jitter, for loops that must keep going through outages (the relay). */
export interface BackoffOptions {
  /** Wait after the first failure. */
  initialMs: number;
  /** No wait is longer than this. */
  maxMs: number;
  /** Each wait is spread by up to ± this fraction, so restarted peers do not retry in step. @default 0.2 */
  jitter?: number;
  /** A number in [0, 1); injected by tests. @default Math.random */
  random?: () => number;
}

export class Backoff {
  private failures = 0;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    if (options.initialMs <= 0 || options.maxMs < options.initialMs) {
      throw new RangeError('backoff: initialMs must be > 0 and maxMs >= initialMs');
    }
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
  }

  /** The wait before the next attempt: doubles with each consecutive failure, up to maxMs. */
  next(): number {
    const base = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 30);
    const spread = 1 + this.jitter * (2 * this.random() - 1);
    return Math.min(this.options.maxMs, Math.max(1, Math.round(base * spread)));
  }

  /** After a success: the next failure waits initialMs again. */
  reset(): void {
    this.failures = 0;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (a shutdown must not wait out a long backoff). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
