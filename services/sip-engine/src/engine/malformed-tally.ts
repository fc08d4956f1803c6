import type { Logger } from '@callctl/logging';
import type { Clock, Timer } from '../core/runtime.js';
import type { Peer } from '../transport/transport.js';

/** One message the engine could not use: where it came from and why. */
export interface MalformedEntry {
  remote: Peer | string;
  reason: string;
  /** What else the line should say (the status answered, whether an answer went out). */
  [field: string]: unknown;
}

export interface MalformedTallyOptions {
  log: Logger;
  clock: Clock;
  /** Length of one summary window. @default 10_000 */
  intervalMs?: number;
  /** The summary line's message. @default 'malformed messages not logged one by one' */
  summary?: string;
}

export const DEFAULT_MALFORMED_LOG_INTERVAL_MS = 10_000;

/**
 * Counts malformed and invalid input and logs it at a bounded rate: the first message of a quiet period
 * gets its own line (the usual case, one broken peer, reads as before); the rest of the window is counted
 * and summarised in one line when it closes, with the last one as a sample. A flood of junk therefore writes
 * two lines per window, not one per datagram (850 KiB/s of log under a 5,000/s flood before).
 */
export class MalformedTally {
  /** Every malformed message since start (for stats and tests). */
  total = 0;
  private readonly intervalMs: number;
  private window: { timer: Timer; count: number; sample?: MalformedEntry } | undefined;

  constructor(private readonly options: MalformedTallyOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_MALFORMED_LOG_INTERVAL_MS;
  }

  record(message: string, entry: MalformedEntry): void {
    this.total += 1;
    if (this.window) {
      this.window.count += 1;
      this.window.sample = entry;
      return;
    }
    this.options.log.info(entry, message);
    this.window = { timer: this.arm(), count: 0 };
  }

  /** Stops the window timer (engine shutdown). */
  close(): void {
    this.window?.timer.cancel();
    this.window = undefined;
  }

  private arm(): Timer {
    return this.options.clock.after(this.intervalMs, () => {
      const window = this.window;
      if (!window || window.count === 0) {
        this.window = undefined;
        return;
      }
      this.options.log.info(
        { count: window.count, intervalMs: this.intervalMs, sample: window.sample },
        this.options.summary ?? 'malformed messages not logged one by one',
      );
      this.window = { timer: this.arm(), count: 0 };
    });
  }
}
