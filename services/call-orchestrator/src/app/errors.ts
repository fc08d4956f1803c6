// Errors from the peers the app drives (sip-edge, media-worker), in the platform's vocabulary
// (@callctl/errors). The gRPC clients turn a peer's status into one of these with the original error as
// `cause`; its `kind` says what our own edge answers (a peer's NOT_FOUND is ours, its UNAVAILABLE too).
import { CallctlError, ERROR_KINDS, type ErrorKind } from '@callctl/errors';

export const PEER_ERROR_CODES = {
  /** The peer refused the request as malformed (INVALID_ARGUMENT). */
  validation: 'VALIDATION',
  /** The peer does not know the leg, session or file (NOT_FOUND). */
  notFound: 'NOT_FOUND',
  /** The peer's state does not allow it (FAILED_PRECONDITION). */
  illegalState: 'ILLEGAL_STATE',
  /** No answer within the deadline. */
  timeout: 'TIMEOUT',
  /** Down, unreachable or refusing for reasons the caller cannot fix. */
  unavailable: 'UNAVAILABLE',
} as const;
export type PeerErrorCode = (typeof PEER_ERROR_CODES)[keyof typeof PEER_ERROR_CODES];

const KIND_BY_CODE: Readonly<Record<PeerErrorCode, ErrorKind>> = {
  VALIDATION: ERROR_KINDS.invalidArgument,
  NOT_FOUND: ERROR_KINDS.notFound,
  ILLEGAL_STATE: ERROR_KINDS.failedPrecondition,
  TIMEOUT: ERROR_KINDS.deadlineExceeded,
  UNAVAILABLE: ERROR_KINDS.unavailable,
};

export class PeerError extends CallctlError<{ peer: string }> {
  override readonly name = 'PeerError';
  readonly kind: ErrorKind;
  constructor(
    /** `sip-edge` or `media-worker`. */
    readonly peer: string,
    readonly code: PeerErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    // An unavailable peer is named as such, whatever the transport said (`sip-edge unavailable: ...`).
    super(
      `${peer}${code === PEER_ERROR_CODES.unavailable ? ' unavailable' : ''}: ${message}`,
      { peer },
      options,
    );
    this.kind = KIND_BY_CODE[code];
  }
}

export const isPeerError = (error: unknown, code?: PeerErrorCode): error is PeerError =>
  error instanceof PeerError && (code === undefined || error.code === code);

/** Kinds a retry of the same request cannot change: a fact or a deadline refused so is dropped. */
export const PERMANENT_KINDS: ReadonlySet<ErrorKind> = new Set([
  ERROR_KINDS.invalidArgument,
  ERROR_KINDS.notFound,
  ERROR_KINDS.failedPrecondition,
  ERROR_KINDS.alreadyExists,
]);

export const APP_ERROR_CODES = {
  /** The action was done but its events are not in the log yet (PostgreSQL unreachable). */
  actionNotRecorded: 'ACTION_NOT_RECORDED',
} as const;

/**
 * A command acted on the wire (the BYE, the 200 OK, the prompt) but the event log could not take its
 * events within the caller's deadline. They are being recorded in the background: a retry with the same
 * idempotency key is safe and answers the recorded result. UNAVAILABLE at the gRPC edge.
 */
export class ActionNotRecordedError extends CallctlError<{ callId: string; command: string }> {
  override readonly name = 'ActionNotRecordedError';
  readonly code = APP_ERROR_CODES.actionNotRecorded;
  readonly kind = ERROR_KINDS.unavailable;
  constructor(callId: string, command: string, options?: ErrorOptions) {
    super(
      `event log (PostgreSQL) unavailable: ${command} was done and will be recorded when the log is back; ` +
        'a retry with the same idempotency key is safe',
      { callId, command },
      options,
    );
  }
}
