// Whether the event log can take an append now, checked before a command acts on the wire: a SIP or media
// action whose event cannot be recorded would make the log and the wire disagree. Commands carry no
// pre-flight while appends succeed (a round trip each would slow every command); after a failed read or
// append the log is suspect, and until one succeeds again each acting command first pings it.
import { EventLogUnavailableError } from '@callctl/eventstore';

export interface EventLogHealthOptions {
  /** Resolves when PostgreSQL answered a trivial query in time; rejects otherwise. */
  ping(): Promise<void>;
  /** How long a ping's answer stands for the commands that follow it. @default 250 */
  pingTtlMs?: number;
  /** @default Date.now */
  clock?: () => number;
}

export class EventLogHealth {
  private failing = false;
  private lastPing?: { at: number; result: Promise<boolean> };
  private readonly pingTtlMs: number;
  private readonly clock: () => number;

  constructor(private readonly o: EventLogHealthOptions) {
    this.pingTtlMs = o.pingTtlMs ?? 250;
    this.clock = o.clock ?? Date.now;
  }

  /** A read or append failed because PostgreSQL was unreachable. */
  failed(): void {
    this.failing = true;
    this.lastPing = undefined; // a ping that answered before this failure says nothing now
  }

  /** A read or append succeeded. */
  succeeded(): void {
    this.failing = false;
  }

  /** Whether a read or append failed since the last success: ensureWritable will ping. */
  get suspect(): boolean {
    return this.failing;
  }

  /** Throws EventLogUnavailableError when the log was failing and still does not answer. */
  async ensureWritable(): Promise<void> {
    if (!this.failing) return;
    const now = this.clock();
    if (!this.lastPing || now - this.lastPing.at > this.pingTtlMs)
      this.lastPing = {
        at: now,
        result: this.o.ping().then(
          () => true,
          () => false,
        ),
      };
    if (await this.lastPing.result) this.succeeded();
    else throw new EventLogUnavailableError();
  }
}
