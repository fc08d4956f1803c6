import { CallctlError, ERROR_KINDS } from '@callctl/errors';

/** Stable codes of the event store's errors; test for these, never for message text. */
export const EVENT_STORE_ERROR_CODES = {
  concurrency: 'EVENTSTORE_CONCURRENCY',
  validation: 'EVENTSTORE_VALIDATION',
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
