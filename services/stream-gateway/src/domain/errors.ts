// The gateway's typed errors (STYLE 10): each is one of the shared kinds, so the one status table
// (@callctl/errors/grpc) maps it at the gRPC edge. RESOURCE_EXHAUSTED has no kind: the gRPC edge answers
// StreamLimitError with a StatusRefusal.
import { IllegalStateError, NotFoundError, ValidationError } from '@callctl/errors';

type StreamContext = Readonly<{ streamId: string }>;

/** A request the gateway refuses as such: a URL scheme, ws:// without STREAM_ALLOW_INSECURE, a format. */
export class StreamValidationError extends ValidationError<Readonly<Record<string, unknown>>> {
  override readonly name = 'StreamValidationError';
  override readonly code = 'STREAM_INVALID_ARGUMENT';
}

export class StreamNotFoundError extends NotFoundError<StreamContext> {
  override readonly name = 'StreamNotFoundError';
  override readonly code = 'STREAM_NOT_FOUND';
}

/** STREAM_MAX_STREAMS streams are open already. */
export class StreamLimitError extends Error {
  override readonly name = 'StreamLimitError';
  constructor(readonly limit: number) {
    super(`this stream gateway holds ${limit} streams already (STREAM_MAX_STREAMS)`);
  }
}

/** The media-worker does not know the party's media session (the call ended meanwhile). */
export class MediaSessionGoneError extends IllegalStateError<Readonly<{ streamId: string }>> {
  override readonly name = 'MediaSessionGoneError';
  override readonly code = 'MEDIA_SESSION_GONE';
}
