/** The worker's error vocabulary; adapters turn rtpengine and HTTP failures into these (STYLE 10). */
import * as common from '@callctl/errors';

export interface MediaErrorContext {
  sessionId?: string;
  tag?: string;
  callId?: string;
}

// The shared classes (@callctl/errors), bound to what a media error carries; each `kind` picks its gRPC
// status in the shared mapper (@callctl/errors/grpc).

/** The request is malformed (bad SDP, bad URL, missing field). */
export class ValidationError extends common.ValidationError<MediaErrorContext> {}
/** The session, party or file named in the request does not exist. */
export class NotFoundError extends common.NotFoundError<MediaErrorContext> {}
/** A peer (rtpengine, a media URL's server) did not answer in time. */
export class TimeoutError extends common.TimeoutError<MediaErrorContext> {}
/** A peer refused or failed in a way the caller cannot fix by changing the request. */
export class UnavailableError extends common.UnavailableError<MediaErrorContext> {}

export type MediaWorkerError = ValidationError | NotFoundError | TimeoutError | UnavailableError;
