/** The worker's error vocabulary; adapters turn rtpengine and HTTP failures into these (STYLE 10). */
export interface MediaErrorContext {
  sessionId?: string;
  tag?: string;
}

abstract class MediaError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly context: MediaErrorContext = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The request is malformed (bad SDP, bad URL, missing field). */
export class ValidationError extends MediaError {
  override readonly name = 'ValidationError';
  readonly code = 'VALIDATION';
}

/** The session, party or file named in the request does not exist. */
export class NotFoundError extends MediaError {
  override readonly name = 'NotFoundError';
  readonly code = 'NOT_FOUND';
}

/** A peer (rtpengine, a media URL's server) did not answer in time. */
export class TimeoutError extends MediaError {
  override readonly name = 'TimeoutError';
  readonly code = 'TIMEOUT';
}

/** A peer refused or failed in a way the caller cannot fix by changing the request. */
export class UnavailableError extends MediaError {
  override readonly name = 'UnavailableError';
  readonly code = 'UNAVAILABLE';
}

export type MediaWorkerError = ValidationError | NotFoundError | TimeoutError | UnavailableError;
