import { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';
import type { Logger } from '@callctl/logging';

/** Domain error code → gRPC status. Anything not listed is INTERNAL with a generic message (STYLE 11). */
export const STATUS_BY_CODE: Readonly<Record<string, GrpcStatus>> = {
  VALIDATION: GrpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
};

export function toServiceError(error: unknown, log: Logger): Partial<ServiceError> {
  const code = error instanceof Error && 'code' in error ? String((error as { code: unknown }).code) : '';
  const mapped = STATUS_BY_CODE[code];
  if (mapped !== undefined && error instanceof Error)
    return { code: mapped, details: error.message, message: error.message, metadata: new Metadata() };
  log.error({ err: error }, 'unexpected error in media-worker request');
  return {
    code: GrpcStatus.INTERNAL,
    details: 'internal error',
    message: 'internal error',
    metadata: new Metadata(),
  };
}
