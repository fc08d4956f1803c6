import { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';

/**
 * Error code -> gRPC status, for the domain's errors, the event store's, and the peers' (app/errors.ts).
 * Anything not listed is INTERNAL with a generic message; the details go to the log (STYLE 11).
 */
export const STATUS_BY_CODE: Readonly<Record<string, GrpcStatus>> = {
  VALIDATION: GrpcStatus.INVALID_ARGUMENT,
  EVENTSTORE_VALIDATION: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  ILLEGAL_STATE: GrpcStatus.FAILED_PRECONDITION,
  IDEMPOTENCY_CONFLICT: GrpcStatus.ALREADY_EXISTS,
  CONCURRENCY: GrpcStatus.ABORTED,
  EVENTSTORE_CONCURRENCY: GrpcStatus.ABORTED,
  TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
};

const codeOf = (error: unknown): string =>
  error instanceof Error && 'code' in error ? String((error as { code: unknown }).code) : '';

export function toServiceError(error: unknown, log: Logger, rpc: string): Partial<ServiceError> {
  const mapped = STATUS_BY_CODE[codeOf(error)];
  if (mapped !== undefined && error instanceof Error) {
    log.debug({ rpc, code: codeOf(error), err: error }, 'request refused');
    return { code: mapped, details: error.message, message: error.message, metadata: new Metadata() };
  }
  log.error({ rpc, err: error }, 'unexpected error in CallControl request');
  return {
    code: GrpcStatus.INTERNAL,
    details: 'internal error',
    message: 'internal error',
    metadata: new Metadata(),
  };
}
