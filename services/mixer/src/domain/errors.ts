// The mixer's typed errors (STYLE 10): each is one of the shared kinds, so the one status table
// (@callctl/errors/grpc) maps it at the gRPC edge: unknown room or participant → NOT_FOUND, a bad request →
// INVALID_ARGUMENT, a repeated add that differs from the first → ALREADY_EXISTS, no free port → UNAVAILABLE (libs/rtp NoFreeRtpPortError).
import { CallctlError, ERROR_KINDS, NotFoundError, ValidationError } from '@callctl/errors';

type RoomContext = Readonly<{ roomId: string; participantId?: string }>;

/** A malformed request: an id, a codec, a direction, a hearing row, an SDP. */
export class MixerValidationError extends ValidationError<Readonly<Record<string, unknown>>> {
  override readonly name = 'MixerValidationError';
  override readonly code = 'MIXER_INVALID_ARGUMENT';
}

export class RoomNotFoundError extends NotFoundError<RoomContext> {
  override readonly name = 'RoomNotFoundError';
  override readonly code = 'ROOM_NOT_FOUND';
}

export class ParticipantNotFoundError extends NotFoundError<RoomContext> {
  override readonly name = 'ParticipantNotFoundError';
  override readonly code = 'PARTICIPANT_NOT_FOUND';
}

/** A repeated CreateRoom or AddParticipant (idempotent calls) that asks for something else than the first. */
export class ConflictingRepeatError extends CallctlError<RoomContext> {
  override readonly name = 'ConflictingRepeatError';
  readonly code = 'CONFLICTING_REPEAT';
  readonly kind = ERROR_KINDS.alreadyExists;
}
