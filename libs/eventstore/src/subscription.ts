import pg from 'pg';
import { EVENT_LOG_CHANNEL, type EventStore, type RecordedEvent } from './event-store.js';
import { Doorbell } from './doorbell.js';

export interface SubscribeAllOptions {
  store: EventStore;
  /** Used for the LISTEN connection (a dedicated client, not from the pool). */
  databaseUrl: string;
  /** Deliver events with a global position above this one. @default 0 */
  afterPosition?: number;
  /** Events read per query. @default 500 */
  batchSize?: number;
  /** Reads again this often even without a notification (lost NOTIFY, LISTEN reconnecting). @default 1000 */
  pollIntervalMs?: number;
}

export interface Subscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
  /** Resolves when the subscription ends: undefined after close(), the error if it failed. */
  closed(): Promise<void | Error>;
}

const DEFAULT_BATCH_SIZE = 500;
const DEFAULT_POLL_INTERVAL_MS = 1000;

/**
 * Catch-up then live: reads the log from `afterPosition`, then waits for the NOTIFY raised by each append
 * (or the poll interval) and reads again. Relies on the store's commit-ordered positions, so tracking
 * the last delivered position is enough to deliver every event once and in order.
 */
export function subscribeAll(options: SubscribeAllOptions): Subscription {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  let position = options.afterPosition ?? 0;
  let stopped = false;
  const doorbell = new Doorbell();
  let resolveClosed!: (value: void | Error) => void;
  const closedPromise = new Promise<void | Error>((resolve) => (resolveClosed = resolve));

  const listener = new pg.Client({ connectionString: options.databaseUrl });
  // A broken LISTEN connection only costs latency: the poll interval still delivers.
  listener.on('error', () => undefined);
  listener.on('notification', () => doorbell.ring());
  const listening = listener
    .connect()
    .then(() => listener.query(`LISTEN ${EVENT_LOG_CHANNEL}`))
    .catch(() => undefined);

  async function* events(): AsyncGenerator<RecordedEvent> {
    await listening;
    try {
      while (!stopped) {
        doorbell.clear();
        const batch = await options.store.readAll(position, batchSize);
        for (const event of batch) {
          if (stopped) return;
          position = event.globalPosition;
          yield event;
        }
        if (batch.length < batchSize && !stopped) await doorbell.sleep(pollIntervalMs);
      }
    } catch (error) {
      resolveClosed(error as Error);
      throw error;
    } finally {
      stopped = true;
      await listener.end().catch(() => undefined);
      resolveClosed(undefined);
    }
  }

  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    close: async () => {
      stopped = true;
      doorbell.ring();
      await iterator.return(undefined);
      await listener.end().catch(() => undefined);
      resolveClosed(undefined);
    },
    closed: () => closedPromise,
  };
}
