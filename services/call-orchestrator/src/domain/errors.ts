// The domain's error vocabulary. Adapters map `code` to a gRPC status (adapters/grpc/status.ts); nothing
// here knows a transport. Test for `code` or `instanceof`, never for message text.

export interface DomainErrorContext {
  readonly callId?: string;
  readonly legId?: string;
}

abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly context: DomainErrorContext = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The command itself is malformed (missing id, bad SIP status, ...). */
export class ValidationError extends DomainError {
  override readonly name = 'ValidationError';
  readonly code = 'VALIDATION';
}

/** The command is well formed but the call or leg is in a state that does not allow it. */
export class IllegalStateError extends DomainError {
  override readonly name = 'IllegalStateError';
  readonly code = 'ILLEGAL_STATE';
}

/** The call, leg, playback or collection named by the command does not exist. */
export class NotFoundError extends DomainError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
}

/** An idempotency key was reused with a different request (maps to ALREADY_EXISTS). */
export class IdempotencyConflictError extends DomainError {
  override readonly name = 'IdempotencyConflictError';
  readonly code = 'IDEMPOTENCY_CONFLICT';
}

/** The stream moved on between read and append; the command handler reloads and retries. */
export class ConcurrencyError extends DomainError {
  override readonly name = 'ConcurrencyError';
  readonly code = 'CONCURRENCY';
  constructor(
    readonly expected: bigint | number,
    readonly actual: bigint | number,
    context: DomainErrorContext = {},
    options?: ErrorOptions,
  ) {
    super(`expected stream version ${expected} but found ${actual}`, context, options);
  }
}
