// Answers kept for their TTL, so a busy trunk costs one NAPTR/SRV/A round per TTL and not one per call.
// Questions in flight are shared (a burst of calls to one domain asks once). A failed question (every
// server timed out or refused) is not kept: the next request asks again.
import type { Clock } from '../core/runtime.js';
import type { DnsAnswer, DnsLookup, DnsRecordType, DnsRecordTypes } from './dns-records.js';

export type DnsQuery = <T extends DnsRecordType>(name: string, type: T) => Promise<DnsAnswer<T>>;

/** Bound on the cached questions: the least recently stored goes first beyond it. */
export const MAX_CACHED_ANSWERS = 10_000;

interface Entry {
  records: unknown[];
  expiresAt: number;
}

export class DnsCache {
  private readonly answers = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<unknown[]>>();

  constructor(
    private readonly query: DnsQuery,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly onError: (err: unknown, name: string, type: DnsRecordType) => void = () => undefined,
  ) {}

  get size(): number {
    return this.answers.size;
  }

  /** The records (cached while their TTL lasts); `[]` when there are none or no server answered. */
  readonly lookup: DnsLookup = <T extends DnsRecordType>(name: string, type: T) => {
    const key = `${type} ${name.toLowerCase()}`;
    const now = this.clock.now().getTime();
    const cached = this.answers.get(key);
    if (cached && cached.expiresAt > now) return Promise.resolve(cached.records as Array<DnsRecordTypes[T]>);
    if (cached) this.answers.delete(key);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.query(name, type)
        .then(
          (answer) => {
            if (answer.ttlS > 0) this.store(key, answer.records, answer.ttlS);
            return answer.records as unknown[];
          },
          (err: unknown) => {
            this.onError(err, name, type);
            return [];
          },
        )
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending as Promise<Array<DnsRecordTypes[T]>>;
  };

  private store(key: string, records: unknown[], ttlS: number): void {
    this.answers.set(key, { records, expiresAt: this.clock.now().getTime() + ttlS * 1000 });
    if (this.answers.size > MAX_CACHED_ANSWERS) {
      const oldest = this.answers.keys().next().value;
      if (oldest !== undefined) this.answers.delete(oldest);
    }
  }
}
