// The TypeScript side of the SQL functions `event_log_append` (migration
// libs/db/prisma/migrations/20261123180000_event_log_append) and `event_log_append_batch` (migration
// 20261123190000_event_log_append_batch): the calls, and their refusals turned into the store's typed
// errors. Keep the SQLSTATEs and outcome names here in step with the migrations.
import pg from 'pg';
import type { BatchOutcome } from './batcher.js';
import { ConcurrencyError, VALIDATION_REASONS, ValidationError } from './errors.js';
import type { AppendResult, ExpectedVersion } from './event-store.js';

// now() is the start of the statement's transaction, which is the recorded_at the function's INSERT defaults
// to: the writer learns when its events were recorded without reading them back.
export const APPEND_SQL =
  'SELECT positions::text[] AS positions, next_version, duplicate, now() AS recorded_at ' +
  'FROM event_log_append($1, $2, $3, $4, $5, $6, $7)';

/** SQLSTATEs raised by event_log_append (class CC, "callctl"; PostgreSQL uses no such class). */
export const APPEND_SQLSTATE = {
  /** The stream's version is not the expected one; DETAIL carries the actual version. */
  concurrency: 'CC001',
  /** An event id is stored with other content or elsewhere; DETAIL carries the id. */
  eventIdReused: 'CC002',
} as const;

/**
 * Maps a failed append to the store's vocabulary: the function's own SQLSTATEs become ConcurrencyError and
 * ValidationError (with the database error as `cause`); anything else (connection lost, timeout) is
 * returned unchanged for the caller's retry policy to judge.
 */
export function appendError(
  error: unknown,
  streamId: string,
  expected: number | 'no-stream' | 'any',
): unknown {
  if (!(error instanceof pg.DatabaseError)) return error;
  switch (error.code) {
    case APPEND_SQLSTATE.concurrency:
      return new ConcurrencyError(streamId, expected, Number(error.detail), { cause: error });
    case APPEND_SQLSTATE.eventIdReused:
      return new ValidationError(VALIDATION_REASONS.eventIdReused, error.message, { cause: error });
    default:
      return error;
  }
}

export const APPEND_BATCH_SQL =
  'SELECT item, outcome, positions::text[] AS positions, next_version, detail, now() AS recorded_at ' +
  'FROM event_log_append_batch($1, $2, $3, $4, $5, $6, $7, $8)';

/** One row of event_log_append_batch: how one item (one caller's append) of the batch ended. */
export interface AppendBatchRow {
  item: number;
  outcome: 'appended' | 'duplicate' | 'conflict' | 'reused';
  positions: string[] | null;
  next_version: number | null;
  /** conflict: the actual version; reused: the reused event id. */
  detail: string | null;
  /** The batch transaction's start: the recorded_at of the events it inserted. */
  recorded_at: Date;
}

function reusedMessage(eventId: string): string {
  return `event id ${eventId} is already stored with other content or in another batch`;
}

/**
 * What a lone append of the item would have given: its result, or the ConcurrencyError / ValidationError
 * that event_log_append raises as CC001 / CC002 (here without a database error as `cause`, since the
 * batch function reports refusals in rows instead of raising).
 */
export function batchOutcome(
  row: AppendBatchRow | undefined,
  streamId: string,
  expected: ExpectedVersion,
): BatchOutcome<AppendResult> {
  switch (row?.outcome) {
    case 'appended':
    case 'duplicate':
      return {
        ok: true,
        value: {
          nextExpectedVersion: row.next_version!,
          positions: row.positions!.map(Number),
          duplicate: row.outcome === 'duplicate',
          ...(row.outcome === 'appended' ? { recordedAt: row.recorded_at } : {}),
        },
      };
    case 'conflict':
      return { ok: false, error: new ConcurrencyError(streamId, expected, Number(row.detail)) };
    case 'reused':
      return {
        ok: false,
        error: new ValidationError(VALIDATION_REASONS.eventIdReused, reusedMessage(row.detail ?? '')),
      };
    default:
      return { ok: false, error: new Error(`event_log_append_batch gave no known outcome for ${streamId}`) };
  }
}
