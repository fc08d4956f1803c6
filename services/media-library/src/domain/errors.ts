// The media library's error vocabulary (STYLE 10): the shared classes bound to what a library error carries;
// each `kind` picks its gRPC status in the shared mapper (@callctl/errors/grpc).
import * as common from '@callctl/errors';

export interface MediaErrorContext {
  mediaId?: string;
}

/** The request or the uploaded bytes are unusable (no name, not audio, over the size limit). */
export class ValidationError extends common.ValidationError<MediaErrorContext> {}
/** No such media id, or it was deleted. */
export class NotFoundError extends common.NotFoundError<MediaErrorContext> {}
/** An upload or a conversion did not finish in time. */
export class TimeoutError extends common.TimeoutError<MediaErrorContext> {}
/** The database or a tool (ffmpeg) failed in a way the caller cannot fix by changing the request. */
export class UnavailableError extends common.UnavailableError<MediaErrorContext> {}
