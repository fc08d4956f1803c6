import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@callctl/testing';
import { createEventStore, type EventStore, type NewEvent } from '../src/index.js';

export interface StoreFixture extends AsyncDisposable {
  db: TestDatabase;
  pool: pg.Pool;
  store: EventStore;
  count(sql?: string): Promise<number>;
}

export async function setupStore(options: { maxPayloadBytes?: number } = {}): Promise<StoreFixture> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 20 });
  // DROP DATABASE … WITH (FORCE) at the end terminates idle connections; that is expected here.
  pool.on('error', () => undefined);
  const store = createEventStore({ pool, ...options });
  return {
    db,
    pool,
    store,
    count: async (sql = 'SELECT count(*)::int AS n FROM event_log') =>
      (await pool.query<{ n: number }>(sql)).rows[0]!.n,
    [Symbol.asyncDispose]: async () => {
      await pool.end();
      await db.drop();
    },
  };
}

export function randomCallId(): string {
  return randomUUID();
}

export function legAnswered(callId: string, legId = 'A'): NewEvent {
  return { eventId: randomUUID(), type: 'LegAnswered', data: { callId, legId } };
}

export function callCreated(callId: string, clientState = ''): NewEvent {
  return { eventId: randomUUID(), type: 'CallCreated', data: { callId, clientState, maxDurationMs: 0 } };
}
