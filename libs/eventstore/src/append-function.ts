// The TypeScript side of the `event_log_append` SQL function (migration
// libs/db/prisma/migrations/20261123160000_event_log_append): the call, and its errors turned into the
// store's typed errors. Keep the SQLSTATEs here in step with the migration.
import pg from 'pg';
import { ConcurrencyError, VALIDATION_REASONS, ValidationError } from './errors.js';

export const APPEND_SQL =
  'SELECT positions::text[] AS positions, next_version, duplicate FROM event_log_append($1, $2, $3, $4, $5, $6, $7)';

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
