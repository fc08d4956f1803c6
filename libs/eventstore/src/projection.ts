import pg from 'pg';
import { saveCheckpoint } from './checkpoints.js';
import { EVENT_LOG_CHANNEL, type EventStore, type RecordedEvent } from './event-store.js';
import { Doorbell } from './doorbell.js';

/** A read model kept in PostgreSQL tables. */
export interface Projection {
  /** Checkpoint key, e.g. `projection:active_calls`. */
  name: string;
  /** Applies one event inside the runner's transaction (the checkpoint is saved in the same one). */
  apply(client: pg.PoolClient, event: RecordedEvent): Promise<void>;
  /**
   * Applies a batch (in position order) inside the runner's transaction, in place of `apply` per event:
   * a projection that can write a batch in a few statements saves a round trip per event.
   */
  applyBatch?(client: pg.PoolClient, events: readonly RecordedEvent[]): Promise<void>;
  /** Empties the read model before a rebuild. */
  reset(client: pg.PoolClient): Promise<void>;
}

export interface ProjectionRunOptions {
  pool: pg.Pool;
  store: EventStore;
  /** @default 500 */
  batchSize?: number;
}

/**
 * Applies every event after the projection's checkpoint, one transaction per batch holding both the
 * read-model changes and the new checkpoint, until the log's head. Returns the position reached.
 * Two runners of one projection serialise on the checkpoint row (the upsert below locks it).
 *
 * The transaction commits without waiting for its WAL flush (synchronous_commit off): the read model and
 * its checkpoint still commit or vanish together, so a crash can only lose the last batches, which the
 * next catch-up applies again. A wake-up with nothing new writes nothing.
 */
export async function catchUpProjection(
  projection: Projection,
  options: ProjectionRunOptions,
): Promise<number> {
  const batchSize = options.batchSize ?? 500;
  for (;;) {
    const client = await options.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL synchronous_commit = off');
      // Creates the row on the first run and locks it in one statement: a second runner waits here.
      const { rows } = await client.query<{ position: string }>(
        `INSERT INTO event_checkpoint (subscriber_id, position) VALUES ($1, 0)
         ON CONFLICT (subscriber_id) DO UPDATE SET position = event_checkpoint.position
         RETURNING position`,
        [projection.name],
      );
      const position = Number(rows[0]!.position);
      const batch = await options.store.readAll(position, batchSize);
      if (batch.length === 0) {
        await client.query('ROLLBACK');
        return position;
      }
      if (projection.applyBatch) await projection.applyBatch(client, batch);
      else for (const event of batch) await projection.apply(client, event);
      const reached = batch[batch.length - 1]!.globalPosition;
      await saveCheckpoint(client, projection.name, reached);
      await client.query('COMMIT');
      if (batch.length < batchSize) return reached;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

/** Empties the read model and replays the whole log into it. */
export async function rebuildProjection(
  projection: Projection,
  options: ProjectionRunOptions,
): Promise<number> {
  const client = await options.pool.connect();
  try {
    await client.query('BEGIN');
    await projection.reset(client);
    await saveCheckpoint(client, projection.name, 0);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return catchUpProjection(projection, options);
}

export interface ProjectionRunner {
  close(): Promise<void>;
  /** Resolves when the runner stops: undefined after close(), the error that stopped it otherwise. */
  closed(): Promise<void | Error>;
}

/**
 * Keeps a projection live: catches up, then again on every append's NOTIFY (on a dedicated LISTEN
 * connection) or every `pollIntervalMs` (@default 1000) when a notification is lost.
 */
export function runProjection(
  projection: Projection,
  options: ProjectionRunOptions & { databaseUrl: string; pollIntervalMs?: number },
): ProjectionRunner {
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const listener = new pg.Client({ connectionString: options.databaseUrl });
  let stopped = false;
  const doorbell = new Doorbell();
  listener.on('error', () => undefined); // polling still works
  listener.on('notification', () => doorbell.ring());
  async function run(): Promise<void> {
    await listener
      .connect()
      .then(() => listener.query(`LISTEN ${EVENT_LOG_CHANNEL}`))
      .catch(() => undefined);
    while (!stopped) {
      doorbell.clear();
      await catchUpProjection(projection, options);
      if (!stopped) await doorbell.sleep(pollIntervalMs);
    }
  }
  const closed: Promise<void | Error> = run().then(
    () => listener.end().catch(() => undefined),
    async (error: unknown) => {
      await listener.end().catch(() => undefined);
      return error as Error;
    },
  );
  return {
    close: async () => {
      stopped = true;
      doorbell.ring();
      await closed;
    },
    closed: () => closed,
  };
}
