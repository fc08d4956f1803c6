import {
  ensureStream,
  MEDIA_WORKER_STATE_STREAM,
  MEDIA_WORKER_STATE_SUBJECTS,
  mediaWorkerStateOf,
  mediaWorkerStateSubject,
  type NatsConnection,
} from '@callctl/bus';
import { DeliverPolicy, jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { StateTable, WorkerState } from '../../app/worker-state.js';

export interface NatsWorkerStateOptions {
  nc: NatsConnection;
  /** This worker's name: each instance reads back only its own records. */
  instance: string;
  /** Deadline of one write (waiting for JetStream's ack) and of each read at start. */
  timeoutMs: number;
}

/**
 * A record older than this is dropped by the stream, tombstones included; as sip-edge's leg journal, which
 * forgets legs after the same time.
 */
const RECORD_MAX_AGE_MS = 24 * 3_600_000;

/** The last message of a forgotten record. */
interface Tombstone {
  id: string;
  gone: true;
}

interface Stored<T> {
  id: string;
  value: T;
}

/**
 * WorkerState on JetStream stream MEDIA_WORKER_STATE: one subject per record, the stream keeping only its
 * last message, so a put and a later forget, published in that order on one connection, leave the
 * tombstone. Subjects carry the id base64url-encoded (session ids and tags may hold dots or '@').
 */
export async function openNatsWorkerState(options: NatsWorkerStateOptions): Promise<WorkerState> {
  await ensureStream(options.nc, {
    name: MEDIA_WORKER_STATE_STREAM,
    subjects: [MEDIA_WORKER_STATE_SUBJECTS],
    maxMsgsPerSubject: 1,
    maxAgeMs: RECORD_MAX_AGE_MS,
  });
  const js = jetstream(options.nc, { timeout: options.timeoutMs });
  return {
    playbacks: new NatsStateTable(js, options, 'playback'),
    bridges: new NatsStateTable(js, options, 'bridge'),
    localSessions: new NatsStateTable(js, options, 'local'),
  };
}

class NatsStateTable<T> implements StateTable<T> {
  constructor(
    private readonly js: JetStreamClient,
    private readonly options: NatsWorkerStateOptions,
    private readonly kind: string,
  ) {}

  async put(id: string, value: T): Promise<void> {
    await this.js.publish(this.subject(id), JSON.stringify({ id, value } satisfies Stored<T>));
  }

  async delete(id: string): Promise<void> {
    await this.js.publish(this.subject(id), JSON.stringify({ id, gone: true } satisfies Tombstone));
  }

  async all(): Promise<Array<{ id: string; value: T }>> {
    const consumer = await this.js.consumers.get(MEDIA_WORKER_STATE_STREAM, {
      filter_subjects: mediaWorkerStateOf(this.options.instance, this.kind),
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    const found: Array<Stored<T>> = [];
    let pending = (await consumer.info(true)).num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({
        max_messages: Math.min(pending, 256),
        expires: this.options.timeoutMs,
      });
      let got = 0;
      for await (const message of batch) {
        got += 1;
        const record = message.json<Stored<T> | Tombstone>();
        if (!('gone' in record)) found.push(record);
      }
      if (got === 0) break;
      pending -= got;
    }
    return found;
  }

  private subject(id: string): string {
    return mediaWorkerStateSubject(this.options.instance, this.kind, Buffer.from(id).toString('base64url'));
  }
}
