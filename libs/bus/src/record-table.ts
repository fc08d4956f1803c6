import { DeliverPolicy, jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { ensureStream } from './jetstream.js';
import { publishToStream } from './stream-publish.js';

/**
 * How long a record lives at most: the stream drops older ones, tombstones included. A service's records
 * describe calls, and a day is far beyond any call the platform keeps.
 */
export const RECORD_MAX_AGE_MS = 24 * 3_600_000;

export interface RecordTableOptions {
  nc: NatsConnection;
  /** The stream, created with `ensureRecordStream`. */
  stream: string;
  /** The subject of one record (one subject per record; the stream keeps only its last message). */
  subjectOf(id: string): string;
  /** The subjects `all()` reads: this table's records, not those of other instances or kinds. */
  filter: string;
  /** Deadline of a write (JetStream's ack) and of each read of `all()`. @default 5000 */
  timeoutMs?: number;
}

/** The last message of a removed record. */
interface Tombstone {
  id: string;
  gone: true;
}

interface Stored<T> {
  id: string;
  value: T;
}

/**
 * Records a service hands to its next run (a restart, kill -9 included), kept on a JetStream stream that
 * keeps only the last message of each subject: `put` publishes the record, `delete` a tombstone, and
 * `all()` reads the last message of every subject under the filter. A put and a later delete published in
 * that order on one connection leave the tombstone, so the stream holds the latest state of each record.
 */
export class RecordTable<T> {
  private readonly js: JetStreamClient;
  private readonly timeoutMs: number;

  constructor(private readonly options: RecordTableOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.js = jetstream(options.nc, { timeout: this.timeoutMs });
  }

  async put(id: string, value: T): Promise<void> {
    await this.write(id, JSON.stringify({ id, value } satisfies Stored<T>));
  }

  async delete(id: string): Promise<void> {
    await this.write(id, JSON.stringify({ id, gone: true } satisfies Tombstone));
  }

  private async write(id: string, data: string): Promise<void> {
    await publishToStream(this.options.nc, this.options.subjectOf(id), data, { timeoutMs: this.timeoutMs });
  }

  /** Every record under the filter that was put and not deleted. */
  async all(): Promise<Array<{ id: string; value: T }>> {
    const consumer = await this.js.consumers.get(this.options.stream, {
      filter_subjects: this.options.filter,
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    const found: Array<Stored<T>> = [];
    let pending = (await consumer.info(true)).num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, 256), expires: this.timeoutMs });
      let got = 0;
      for await (const message of batch) {
        got += 1;
        const record = message.json<Stored<T> | Tombstone>();
        if ('value' in record) found.push(record);
      }
      if (got === 0) break;
      pending -= got;
    }
    return found;
  }
}

/** Creates (or updates) a stream for record tables: last message per subject, RECORD_MAX_AGE_MS. */
export async function ensureRecordStream(nc: NatsConnection, name: string, subjects: string): Promise<void> {
  await ensureStream(nc, { name, subjects: [subjects], maxMsgsPerSubject: 1, maxAgeMs: RECORD_MAX_AGE_MS });
}
