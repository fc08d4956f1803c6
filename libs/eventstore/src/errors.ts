import pg from 'pg';
import { CallctlError, ERROR_KINDS, isCallctlError } from '@callctl/errors';

/** Stable codes of the event store's errors; test for these, never for message text. */
export const EVENT_STORE_ERROR_CODES = {
  concurrency: 'EVENTSTORE_CONCURRENCY',
  validation: 'EVENTSTORE_VALIDATION',
  unavailable: 'EVENTSTORE_UNAVAILABLE',
} as const;

/**
 * The stream's version was not the one the writer expected; reload the stream and decide again. Its kind
 * (aborted) gives ABORTED at a gRPC edge (@callctl/errors/grpc) when it outlives the caller's retries.
 */
export class ConcurrencyError extends CallctlError<{ streamId: string }> {
  override readonly name = 'ConcurrencyError';
  readonly code = EVENT_STORE_ERROR_CODES.concurrency;
  readonly kind = ERROR_KINDS.aborted;
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersionLike,
    readonly actual: number,
    options?: ErrorOptions,
  ) {
    super(
      `stream ${streamId}: expected version ${String(expected)}, actual ${actual}`,
      { streamId },
      options,
    );
  }
}

type ExpectedVersionLike = number | 'no-stream' | 'any';

/** Why an append or read was refused before anything was written. */
export const VALIDATION_REASONS = {
  emptyBatch: 'empty_batch',
  payloadTooLarge: 'payload_too_large',
  invalidStreamId: 'invalid_stream_id',
  unknownEventType: 'unknown_event_type',
  invalidEventId: 'invalid_event_id',
  /** An event id already in the log was given with other content (or in another stream/position). */
  eventIdReused: 'event_id_reused',
  invalidPayload: 'invalid_payload',
  /** Neither 'any', 'no-stream' nor a version (an integer >= 0). */
  invalidExpectedVersion: 'invalid_expected_version',
} as const;
export type ValidationReason = (typeof VALIDATION_REASONS)[keyof typeof VALIDATION_REASONS];

/** Refused input (kind invalid_argument: INVALID_ARGUMENT at a gRPC edge); `reason` says which rule. */
export class ValidationError extends CallctlError<{ reason: ValidationReason }> {
  override readonly name = 'ValidationError';
  readonly code = EVENT_STORE_ERROR_CODES.validation;
  readonly kind = ERROR_KINDS.invalidArgument;
  constructor(
    readonly reason: ValidationReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, { reason }, options);
  }
}

export function isConcurrencyError(error: unknown): error is ConcurrencyError {
  return error instanceof Error && (error as { code?: unknown }).code === EVENT_STORE_ERROR_CODES.concurrency;
}

export function isValidationError(error: unknown): error is ValidationError {
  return error instanceof Error && (error as { code?: unknown }).code === EVENT_STORE_ERROR_CODES.validation;
}

/** The message every edge answers when the log cannot be read or written (gRPC UNAVAILABLE). */
export const EVENT_LOG_UNAVAILABLE_MESSAGE = 'event log (PostgreSQL) unavailable';

/**
 * PostgreSQL could not be reached or dropped the connection (refused, reset, restarting, too many
 * connections): nothing is known to be written, and a retry once it is back may succeed. The driver's
 * error is the `cause`.
 */
export class EventLogUnavailableError extends CallctlError {
  override readonly name = 'EventLogUnavailableError';
  readonly code = EVENT_STORE_ERROR_CODES.unavailable;
  readonly kind = ERROR_KINDS.unavailable;
  constructor(options?: ErrorOptions) {
    super(EVENT_LOG_UNAVAILABLE_MESSAGE, {}, options);
  }
}

export function isEventLogUnavailable(error: unknown): error is EventLogUnavailableError {
  return error instanceof Error && (error as { code?: unknown }).code === EVENT_STORE_ERROR_CODES.unavailable;
}

/**
 * SQLSTATE classes and codes that mean the server is not there for us (class 08 connection exception,
 * 57P01-57P03 shutting down or starting, 53300 too many connections): a retry later may succeed.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300)$/;

/**
 * A failed query in the store's vocabulary: typed errors pass unchanged; a server error that means
 * "not available now" and every error the driver raises without a server answer (refused, reset,
 * connection terminated, connect timeout) become EventLogUnavailableError; other server errors pass
 * unchanged (a bug or a broken invariant, INTERNAL at an edge).
 */
export function storeError(error: unknown): unknown {
  if (isCallctlError(error)) return error;
  if (error instanceof pg.DatabaseError)
    return UNAVAILABLE_SQLSTATE.test(error.code ?? '')
      ? new EventLogUnavailableError({ cause: error })
      : error;
  return new EventLogUnavailableError({ cause: error });
}
