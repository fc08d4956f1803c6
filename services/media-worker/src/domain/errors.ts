/** The worker's error vocabulary; adapters turn rtpengine and HTTP failures into these (STYLE 10). */
import { CallctlError, ERROR_KINDS } from '@callctl/errors';

export interface MediaErrorContext {
  sessionId?: string;
  tag?: string;
}

// Each class's `kind` picks its gRPC status in the shared mapper (@callctl/errors/grpc).
abstract class MediaError extends CallctlError<MediaErrorContext> {}

/** The request is malformed (bad SDP, bad URL, missing field). */
export class ValidationError extends MediaError {
  override readonly name = 'ValidationError';
  readonly code = 'VALIDATION';
  readonly kind = ERROR_KINDS.invalidArgument;
}

/** The session, party or file named in the request does not exist. */
export class NotFoundError extends MediaError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
  readonly kind = ERROR_KINDS.notFound;
}

/** A peer (rtpengine, a media URL's server) did not answer in time. */
export class TimeoutError extends MediaError {
  override readonly name = 'TimeoutError';
  readonly code = 'TIMEOUT';
  readonly kind = ERROR_KINDS.deadlineExceeded;
}

/** A peer refused or failed in a way the caller cannot fix by changing the request. */
export class UnavailableError extends MediaError {
  override readonly name = 'UnavailableError';
  readonly code = 'UNAVAILABLE';
  readonly kind = ERROR_KINDS.unavailable;
}

export type MediaWorkerError = ValidationError | NotFoundError | TimeoutError | UnavailableError;
