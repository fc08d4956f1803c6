// The domain's error vocabulary. Each class carries a `kind` from @callctl/errors, and the gRPC adapter maps
// it with the shared `toServiceError` (@callctl/errors/grpc); nothing here knows a transport. Test for
// `code` or `instanceof`, never for message text. @callctl/errors' front door is pure (no node:*, no gRPC).
import { CallctlError, ERROR_KINDS } from '@callctl/errors';

export interface DomainErrorContext {
  readonly callId?: string;
  readonly legId?: string;
}

abstract class DomainError extends CallctlError<DomainErrorContext> {}

/** The command itself is malformed (missing id, bad SIP status, ...). */
export class ValidationError extends DomainError {
  override readonly name = 'ValidationError';
  readonly code = 'VALIDATION';
  readonly kind = ERROR_KINDS.invalidArgument;
}

/** The command is well formed but the call or leg is in a state that does not allow it. */
export class IllegalStateError extends DomainError {
  override readonly name = 'IllegalStateError';
  readonly code = 'ILLEGAL_STATE';
  readonly kind = ERROR_KINDS.failedPrecondition;
}

/** The call, leg, playback or collection named by the command does not exist. */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
  readonly kind = ERROR_KINDS.notFound;
}

/** An idempotency key was reused with a different request (maps to ALREADY_EXISTS). */
export class IdempotencyConflictError extends DomainError {
  override readonly name = 'IdempotencyConflictError';
  readonly code = 'IDEMPOTENCY_CONFLICT';
  readonly kind = ERROR_KINDS.alreadyExists;
}

/**
 * The stream moved on between read and append; the command handler reloads and retries, and only a
 * conflict that outlives its retries reaches the edge (as ABORTED).
 */
export class ConcurrencyError extends DomainError {
  override readonly name = 'ConcurrencyError';
  readonly code = 'CONCURRENCY';
  readonly kind = ERROR_KINDS.aborted;
  constructor(
    readonly expected: bigint | number,
    readonly actual: bigint | number,
    context: DomainErrorContext = {},
    options?: ErrorOptions,
  ) {
    super(`expected stream version ${expected} but found ${actual}`, context, options);
  }
}
