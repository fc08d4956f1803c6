// The active-calls read model: one row per call between CallCreated and CallEnded, in table active_call
// (migration 20261123170000_active_calls). Kept by libs/eventstore's projection runner, checkpointed in
// the same transaction as the rows, and rebuildable from position 0 (rebuildProjection).
import type pg from 'pg';
import type { Projection, RecordedEvent } from '@callctl/eventstore';
import { callIdOfStream } from '@callctl/eventstore';
import { ValidationError } from '../../domain/errors.js';

export const ACTIVE_CALLS_PROJECTION = 'projection:active_calls';

export const activeCallsProjection: Projection = {
  name: ACTIVE_CALLS_PROJECTION,
  apply: (client, event) => applyEvents(client, [event]),
  applyBatch: applyEvents,
  async reset(client) {
    await client.query('DELETE FROM active_call');
  },
};

// Two statements per batch, not one per event: at 50 calls/s the projection's per-event round trips were
// two per call. Inserting a batch's new calls before deleting its ended ones keeps the log's order (a
// call's CallCreated precedes its CallEnded).
async function applyEvents(client: pg.PoolClient, events: readonly RecordedEvent[]): Promise<void> {
  const created: { callIds: string[]; positions: number[]; at: Date[] } = {
    callIds: [],
    positions: [],
    at: [],
  };
  const ended: string[] = [];
  for (const event of events) {
    const callId = callIdOfStream(event.streamId);
    if (!callId) continue;
    if (event.type === 'CallCreated') {
      created.callIds.push(callId);
      created.positions.push(event.globalPosition);
      created.at.push(event.metadata.recordedAt);
    } else if (event.type === 'CallEnded') ended.push(callId);
  }
  if (created.callIds.length > 0)
    await client.query(
      `INSERT INTO active_call (call_id, created_position, created_at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[])
       ON CONFLICT (call_id) DO NOTHING`,
      [created.callIds, created.positions, created.at],
    );
  if (ended.length > 0)
    await client.query('DELETE FROM active_call WHERE call_id = ANY($1::text[])', [ended]);
}

export interface ActiveCallsPage {
  callIds: string[];
  /** Empty on the last page. */
  nextPageToken: string;
}

/** @default 100 */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;

/** Oldest first; the page token is the log position of the last call's CallCreated. */
export async function listActiveCalls(
  pool: pg.Pool,
  pageSize: number,
  pageToken: string,
): Promise<ActiveCallsPage> {
  if (pageSize > MAX_PAGE_SIZE)
    throw new ValidationError(`page_size must be 1-${MAX_PAGE_SIZE}, got ${pageSize}`);
  if (pageToken && !/^\d{1,18}$/.test(pageToken))
    throw new ValidationError(`page_token "${pageToken}" is not valid`);
  const size = pageSize || DEFAULT_PAGE_SIZE;
  const { rows } = await pool.query<{ call_id: string; created_position: string }>(
    `SELECT call_id, created_position FROM active_call WHERE created_position > $1
      ORDER BY created_position LIMIT $2`,
    [pageToken || '0', size + 1],
  );
  const page = rows.slice(0, size);
  return {
    callIds: page.map((r) => r.call_id),
    nextPageToken: rows.length > size ? page[page.length - 1]!.created_position : '',
  };
}

/** Every active call id (deadlines are re-armed for each on start). */
export async function allActiveCallIds(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ call_id: string }>(
    'SELECT call_id FROM active_call ORDER BY created_position',
  );
  return rows.map((r) => r.call_id);
}
