// The domain's error vocabulary. Each class carries a `kind` from @callctl/errors, and the gRPC adapter maps
// it with the shared `toServiceError` (@callctl/errors/grpc); nothing here knows a transport. Test for
// `code` or `instanceof`, never for message text. @callctl/errors' front door is pure (no node:*, no gRPC).
import * as common from '@callctl/errors';
import { CallctlError, ERROR_KINDS } from '@callctl/errors';

export interface DomainErrorContext {
  readonly callId?: string;
  readonly legId?: string;
}

abstract class DomainError extends CallctlError<DomainErrorContext> {}

// The shared classes (@callctl/errors), bound to the call and leg a domain error names.

/** The command itself is malformed (missing id, bad SIP status, ...). */
export class ValidationError extends common.ValidationError<DomainErrorContext> {}

/** The command is well formed but the call or leg is in a state that does not allow it. */
export class IllegalStateError extends common.IllegalStateError<DomainErrorContext> {}

/** The call, leg, playback or collection named by the command does not exist. */
export class NotFoundError extends common.NotFoundError<DomainErrorContext> {}

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

/** What the request would create runs already (another recording of the call); the message names it. */
export class AlreadyRunningError extends DomainError {
  override readonly name = 'AlreadyRunningError';
  readonly code = 'ALREADY_RUNNING';
  readonly kind = ERROR_KINDS.alreadyExists;
}
