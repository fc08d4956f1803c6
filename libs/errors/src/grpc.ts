// The one mapping between an error and a gRPC status, both ways: an error to the status a server answers
// (every gRPC adapter, STYLE 11), and a status a client receives back to a typed error. It lives behind
// its own entry point (`@callctl/errors/grpc`) so that importing the error base never loads grpc-js.
import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { CallctlError, ERROR_KINDS, isCallctlError, type ErrorKind } from './callctl-error.js';

/** Error kind → gRPC status; total over the kinds, so adding a kind fails to compile until mapped here. */
export const GRPC_STATUS_BY_KIND: Readonly<Record<ErrorKind, GrpcStatus>> = {
  [ERROR_KINDS.invalidArgument]: GrpcStatus.INVALID_ARGUMENT,
  [ERROR_KINDS.notFound]: GrpcStatus.NOT_FOUND,
  [ERROR_KINDS.failedPrecondition]: GrpcStatus.FAILED_PRECONDITION,
  [ERROR_KINDS.alreadyExists]: GrpcStatus.ALREADY_EXISTS,
  [ERROR_KINDS.aborted]: GrpcStatus.ABORTED,
  [ERROR_KINDS.unavailable]: GrpcStatus.UNAVAILABLE,
  [ERROR_KINDS.deadlineExceeded]: GrpcStatus.DEADLINE_EXCEEDED,
  [ERROR_KINDS.unimplemented]: GrpcStatus.UNIMPLEMENTED,
  [ERROR_KINDS.internal]: GrpcStatus.INTERNAL,
};

/** What callers see for an internal failure; the real message goes to the log only. */
export const INTERNAL_MESSAGE = 'internal error';

/** The part of a pino logger the mapper needs (any @callctl/logging Logger fits). */
export interface ErrorLog {
  error(fields: object, message: string): void;
}

/**
 * Turns any error thrown by a handler into the ServiceError to hand to a grpc-js callback or
 * `call.destroy()`. A typed error keeps its message (it was written for the caller); an `internal` one or
 * an untyped one becomes INTERNAL with a generic message and is logged with its stack and context.
 */
export function toServiceError(error: unknown, log: ErrorLog): Partial<ServiceError> {
  if (isCallctlError(error) && error.kind !== ERROR_KINDS.internal) {
    const code = GRPC_STATUS_BY_KIND[error.kind];
    return { code, details: error.message, message: error.message, metadata: new Metadata() };
  }
  log.error(
    { err: error, ...(isCallctlError(error) ? { code: error.code, context: error.context } : {}) },
    'unexpected error in gRPC handler',
  );
  return {
    code: GrpcStatus.INTERNAL,
    details: INTERNAL_MESSAGE,
    message: INTERNAL_MESSAGE,
    metadata: new Metadata(),
  };
}

/**
 * gRPC status → error kind, for what a client receives: the inverse of GRPC_STATUS_BY_KIND, plus the
 * statuses no handler of ours answers (a proxy's, the transport's). Total over the statuses.
 */
export const KIND_BY_GRPC_STATUS: Readonly<Record<GrpcStatus, ErrorKind>> = {
  [GrpcStatus.OK]: ERROR_KINDS.internal,
  [GrpcStatus.CANCELLED]: ERROR_KINDS.unavailable,
  [GrpcStatus.UNKNOWN]: ERROR_KINDS.internal,
  [GrpcStatus.INVALID_ARGUMENT]: ERROR_KINDS.invalidArgument,
  [GrpcStatus.DEADLINE_EXCEEDED]: ERROR_KINDS.deadlineExceeded,
  [GrpcStatus.NOT_FOUND]: ERROR_KINDS.notFound,
  [GrpcStatus.ALREADY_EXISTS]: ERROR_KINDS.alreadyExists,
  [GrpcStatus.PERMISSION_DENIED]: ERROR_KINDS.failedPrecondition,
  [GrpcStatus.RESOURCE_EXHAUSTED]: ERROR_KINDS.unavailable,
  [GrpcStatus.FAILED_PRECONDITION]: ERROR_KINDS.failedPrecondition,
  [GrpcStatus.ABORTED]: ERROR_KINDS.aborted,
  [GrpcStatus.OUT_OF_RANGE]: ERROR_KINDS.invalidArgument,
  [GrpcStatus.UNIMPLEMENTED]: ERROR_KINDS.unimplemented,
  [GrpcStatus.INTERNAL]: ERROR_KINDS.internal,
  [GrpcStatus.UNAVAILABLE]: ERROR_KINDS.unavailable,
  [GrpcStatus.DATA_LOSS]: ERROR_KINDS.internal,
  [GrpcStatus.UNAUTHENTICATED]: ERROR_KINDS.failedPrecondition,
};

/** The kind of a status a client received; a number outside the gRPC statuses is `internal`. */
export function errorKindOfStatus(code: number): ErrorKind {
  return KIND_BY_GRPC_STATUS[code as GrpcStatus] ?? ERROR_KINDS.internal;
}

/** The part of a grpc-js ServiceError a status error is made from. */
export interface ReceivedStatus {
  code: number;
  details?: string;
  message?: string;
}

/**
 * A gRPC call that ended with a non-OK status, in the platform's vocabulary: `kind` from
 * KIND_BY_GRPC_STATUS, `code` the status name (`NOT_FOUND`), `status` its number and `details` the
 * server's message. The grpc-js error is the `cause`.
 */
export class GrpcStatusError extends CallctlError<{ rpc?: string }> {
  override readonly name = 'GrpcStatusError';
  readonly kind: ErrorKind;
  readonly code: string;
  readonly status: GrpcStatus;
  readonly details: string;
  constructor(received: ReceivedStatus, context: { rpc?: string } = {}) {
    const details = received.details || received.message || 'no details';
    super(details, context, { cause: received });
    this.status = received.code;
    this.details = details;
    this.kind = errorKindOfStatus(received.code);
    this.code = GrpcStatus[received.code] ?? 'UNKNOWN';
  }
}

/** True for a grpc-js error (a ServiceError or anything carrying a numeric status `code`). */
export function isReceivedStatus(error: unknown): error is ReceivedStatus {
  return (
    typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number'
  );
}
