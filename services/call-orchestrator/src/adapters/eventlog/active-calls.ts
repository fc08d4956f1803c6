// The active-calls read model: one row per call between CallCreated and CallEnded, in table active_call
// (migration 20261123170000_active_calls). Kept by libs/eventstore's projection runner, checkpointed in
// the same transaction as the rows, and rebuildable from position 0 (rebuildProjection).
import type pg from 'pg';
import type { Projection } from '@callctl/eventstore';
import { callIdOfStream } from '@callctl/eventstore';
import { ValidationError } from '../../domain/errors.js';

export const ACTIVE_CALLS_PROJECTION = 'projection:active_calls';

export const activeCallsProjection: Projection = {
  name: ACTIVE_CALLS_PROJECTION,
  async apply(client, event) {
    const callId = callIdOfStream(event.streamId);
    if (!callId) return;
    if (event.type === 'CallCreated')
      await client.query(
        `INSERT INTO active_call (call_id, created_position, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (call_id) DO NOTHING`,
        [callId, event.globalPosition, event.metadata.recordedAt],
      );
    else if (event.type === 'CallEnded')
      await client.query('DELETE FROM active_call WHERE call_id = $1', [callId]);
  },
  async reset(client) {
    await client.query('DELETE FROM active_call');
  },
};

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
