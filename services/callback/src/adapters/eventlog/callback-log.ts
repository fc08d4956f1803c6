// The callback service's own event log: a PostgreSQL database of its own (the platform's migrations applied),
// one stream per callback, published by its own relay on CALLBACK_EVENTS, and followed by a subscription so
// every instance's projection sees every instance's appends.
import {
  CALLBACK_CATEGORY,
  callbackEventCodecs,
  createEventStore,
  startRelay,
  subscribeAll,
  type CodecRegistry,
  type EventStore,
  type RecordedEvent,
  type Relay,
  type Subscription,
} from '@callctl/eventstore';
import type { Logger } from '@callctl/logging';
import type { NatsConnection } from '@nats-io/nats-core';
import pg from 'pg';

export interface CallbackLog {
  pool: pg.Pool;
  store: EventStore;
  codecs: CodecRegistry;
  close(): Promise<void>;
}

export function openCallbackLog(o: { databaseUrl: string; poolSize: number; log: Logger }): CallbackLog {
  const pool = new pg.Pool({ connectionString: o.databaseUrl, max: o.poolSize });
  // A dropped idle connection is replaced by the pool; without a listener it would crash the process.
  pool.on('error', (error) => o.log.warn({ err: error }, 'callback log connection lost'));
  const codecs = callbackEventCodecs();
  return { pool, store: createEventStore({ pool, codecs }), codecs, close: () => pool.end() };
}

export function startCallbackRelay(o: {
  store: EventStore;
  databaseUrl: string;
  nc: NatsConnection;
  publishJson: boolean;
  log: Logger;
}): Relay {
  return startRelay({
    store: o.store,
    databaseUrl: o.databaseUrl,
    nc: o.nc,
    categories: [CALLBACK_CATEGORY],
    publishJson: o.publishJson,
    onLeader: () => o.log.info('callback relay: leader'),
    onRetry: (error, delayMs) => o.log.warn({ err: error, delayMs }, 'callback relay retrying'),
  });
}

export interface LogFollower {
  close(): Promise<void>;
}

/**
 * Feeds every event after `position()` (stored, then live) to `apply`; a subscription that fails (the
 * database restarted) is opened again from where `apply` got to.
 */
export function followLog(o: {
  store: EventStore;
  databaseUrl: string;
  position: () => number;
  apply: (events: readonly RecordedEvent[]) => void;
  log: Logger;
  /** @default 1000 */
  retryMs?: number;
}): LogFollower {
  let closing = false;
  let current: Subscription | undefined;
  const done = (async () => {
    while (!closing) {
      current = subscribeAll({ store: o.store, databaseUrl: o.databaseUrl, afterPosition: o.position() });
      try {
        for await (const event of current) o.apply([event]);
      } catch (error) {
        o.log.warn({ err: error }, 'callback log subscription failed; following again');
      }
      if (!closing) await new Promise((resolve) => setTimeout(resolve, o.retryMs ?? 1000));
    }
  })();
  return {
    async close() {
      closing = true;
      await current?.close();
      await done;
    },
  };
}
