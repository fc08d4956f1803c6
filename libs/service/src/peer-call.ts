// The one client-side call to an internal peer (sip-edge, media-worker): a deadline on every call, and the
// peer's gRPC status read once, through one table, into the kind our own edge answers.
import { Metadata, type CallOptions, type ServiceError } from '@grpc/grpc-js';
import { ERROR_KINDS, type ErrorKind } from '@callctl/errors';
import { errorKindOfStatus } from '@callctl/errors/grpc';
import { workTraceparent } from '@callctl/telemetry/work-trace';

/** A generated grpc-js unary method, bound to its client. */
export type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/**
 * Kinds of a peer's answer that describe the caller's request, so our edge reports them as they are;
 * anything else (INTERNAL, UNKNOWN, ABORTED...) is the peer's own failure, which our caller sees as
 * `unavailable`.
 */
const CALLER_KINDS: ReadonlySet<ErrorKind> = new Set([
  ERROR_KINDS.invalidArgument,
  ERROR_KINDS.notFound,
  ERROR_KINDS.failedPrecondition,
  ERROR_KINDS.deadlineExceeded,
  ERROR_KINDS.unavailable,
]);

/** The kind a peer's gRPC status takes in the caller's vocabulary. */
export function peerErrorKind(code: number): ErrorKind {
  const kind = errorKindOfStatus(code);
  return CALLER_KINDS.has(kind) ? kind : ERROR_KINDS.unavailable;
}

/** What a failed peer call hands to the caller's error constructor. */
export interface PeerFailure {
  kind: ErrorKind;
  /** The peer's message (its details), for the caller's error message. */
  details: string;
  /** The grpc-js error; keep it as `cause`. */
  cause: ServiceError;
}

export interface PeerCallOptions {
  timeoutMs: number;
  /** Builds the caller's typed error from the failure (each service has its own vocabulary). */
  toError(failure: PeerFailure): Error;
  /** Sent along; by default the trace of the work in hand, so the peer continues it. */
  metadata?: Metadata;
}

/** One unary call to a peer with a deadline; a failure rejects with `toError` of its peerErrorKind. */
export function callPeer<Req, Res>(
  method: Unary<Req, Res>,
  request: Req,
  options: PeerCallOptions,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method(
      request,
      options.metadata ?? traceMetadata(),
      { deadline: Date.now() + options.timeoutMs },
      (error, response) => {
        if (!error) return resolve(response);
        reject(
          options.toError({
            kind: peerErrorKind(error.code),
            details: error.details || error.message,
            cause: error,
          }),
        );
      },
    ),
  );
}

/** Metadata carrying the trace of the work in hand (none outside any work). */
export function traceMetadata(): Metadata {
  const metadata = new Metadata();
  const traceparent = workTraceparent();
  if (traceparent) metadata.set('traceparent', traceparent);
  return metadata;
}

/**
 * Channel options for a client of a peer service. grpc-js backs off up to 120 s between reconnects, so a
 * peer restarted after a crash could stay unreachable for minutes while it is up (and every call in the
 * meantime fails at once with UNAVAILABLE); at most 1 s between attempts keeps that to about a second, at
 * the cost of one connection attempt a second to a peer that stays down.
 */
export const PEER_CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 1000,
} as const;
