// The one mapping from an error to a gRPC status, used by every gRPC adapter (STYLE 11). It lives behind
// its own entry point (`@callctl/errors/grpc`) so that importing the error base never loads grpc-js.
import {
  Metadata,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { ERROR_KINDS, isCallctlError, type ErrorKind } from './callctl-error.js';

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
 * A grpc-js unary handler from a promise-returning function: the reply on success, and on failure the
 * status from toServiceError. A synchronous throw is mapped the same way.
 */
export function unaryHandler(log: ErrorLog) {
  return <Req, Res>(run: (request: Req) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      let running: Promise<Res>;
      try {
        running = run(call.request);
      } catch (error) {
        running = Promise.reject(error as Error);
      }
      running.then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error, log)),
      );
    };
}
