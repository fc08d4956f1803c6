// sip-edge's error vocabulary (STYLE 10): the shared classes (@callctl/errors) bound to what a leg error
// carries. Each class's `kind` picks its gRPC status in the shared mapper (@callctl/errors/grpc);
// adapters turn srf, media-worker and NATS failures into these with `cause` kept.
import * as common from '@callctl/errors';

export interface LegErrorContext {
  callId?: string;
  legId?: string;
  /** A recording session (SIPREC), which is no leg. */
  sessionId?: string;
}

/** The request is malformed: a bad URI, a status outside 400-699, a missing id. */
export class ValidationError extends common.ValidationError<LegErrorContext> {}

/** sip-edge holds no such leg (never had it, or restarted since). */
export class LegNotFoundError extends common.NotFoundError<LegErrorContext> {
  override readonly name = 'LegNotFoundError';
  override readonly code = 'LEG_NOT_FOUND';
}

/** The leg's SIP state does not allow the action; the message says which state and why. */
export class IllegalStateError extends common.IllegalStateError<LegErrorContext> {}

/** The SIP engine, the media-worker or NATS cannot be reached or refused. */
export class UnavailableError extends common.UnavailableError<LegErrorContext> {}

/** The leg has no REFER of that id (NotifyRefer): its phone never sent it, or sip-edge restarted since. */
export class ReferNotFoundError extends common.NotFoundError<LegErrorContext & { referId?: string }> {
  override readonly name = 'ReferNotFoundError';
  override readonly code = 'REFER_NOT_FOUND';
}

/** No response from the far end in time (a recording session's INVITE: "SIP 408"). */
export class TimeoutError extends common.TimeoutError<LegErrorContext> {}

/** sip-edge holds no such recording session (never had it, it ended, or sip-edge restarted since). */
export class RecordingSessionNotFoundError extends common.NotFoundError<LegErrorContext> {
  override readonly name = 'RecordingSessionNotFoundError';
  override readonly code = 'RECORDING_SESSION_NOT_FOUND';
}
