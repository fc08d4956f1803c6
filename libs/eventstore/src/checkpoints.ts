import type pg from 'pg';

type Queryable = Pick<pg.Pool | pg.PoolClient | pg.Client, 'query'>;

/** The position a subscriber has handled up to (0 when it never ran). */
export async function loadCheckpoint(db: Queryable, subscriberId: string): Promise<number> {
  const { rows } = await db.query<{ position: string }>(
    'SELECT position FROM event_checkpoint WHERE subscriber_id = $1',
    [subscriberId],
  );
  return rows[0] ? Number(rows[0].position) : 0;
}

/** Stores the position; pass a transaction's client to make it atomic with the work it records. */
export async function saveCheckpoint(db: Queryable, subscriberId: string, position: number): Promise<void> {
  await db.query(
    `INSERT INTO event_checkpoint (subscriber_id, position) VALUES ($1, $2)
     ON CONFLICT (subscriber_id) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
    [subscriberId, position],
  );
}
