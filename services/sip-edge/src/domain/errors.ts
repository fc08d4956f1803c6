// sip-edge's error vocabulary (STYLE 10). Each class's `kind` picks its gRPC status in the shared mapper
// (@callctl/errors/grpc); adapters turn srf, media-worker and NATS failures into these with `cause` kept.
import { CallctlError, ERROR_KINDS } from '@callctl/errors';

export interface LegErrorContext {
  callId?: string;
  legId?: string;
}

abstract class SipEdgeError extends CallctlError<LegErrorContext> {}

/** The request is malformed: a bad URI, a status outside 400-699, a missing id. */
export class ValidationError extends SipEdgeError {
  override readonly name = 'ValidationError';
  readonly code = 'VALIDATION';
  readonly kind = ERROR_KINDS.invalidArgument;
}

/** sip-edge holds no such leg (never had it, or restarted since). */
export class LegNotFoundError extends SipEdgeError {
  override readonly name = 'LegNotFoundError';
  readonly code = 'LEG_NOT_FOUND';
  readonly kind = ERROR_KINDS.notFound;
}

/** The leg's SIP state does not allow the action; the message says which state and why. */
export class IllegalStateError extends SipEdgeError {
  override readonly name = 'IllegalStateError';
  readonly code = 'ILLEGAL_STATE';
  readonly kind = ERROR_KINDS.failedPrecondition;
}

/** The SIP engine, the media-worker or NATS cannot be reached or refused. */
export class UnavailableError extends SipEdgeError {
  override readonly name = 'UnavailableError';
  readonly code = 'UNAVAILABLE';
  readonly kind = ERROR_KINDS.unavailable;
}
