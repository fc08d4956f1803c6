// Errors from the peers the app drives (sip-edge, media-worker), in the vocabulary of STYLE 10. The gRPC
// clients turn a peer's status into one of these with the original error as `cause`; the status table maps
// `code` once more at our own edge.

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

export class PeerError extends Error {
  override readonly name = 'PeerError';
  constructor(
    /** `sip-edge` or `media-worker`. */
    readonly peer: string,
    readonly code: PeerErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${peer}: ${message}`, options);
  }
}

export const isPeerError = (error: unknown, code?: PeerErrorCode): error is PeerError =>
  error instanceof PeerError && (code === undefined || error.code === code);
