// One unary call to an internal peer (sip-edge, media-worker) with a deadline, its gRPC status turned
// into a PeerError (app/errors.ts) that keeps the original as `cause`.
import { status as GrpcStatus, Metadata, type CallOptions, type ServiceError } from '@grpc/grpc-js';
import { PEER_ERROR_CODES, PeerError, type PeerErrorCode } from '../app/errors.js';

const CODE_BY_STATUS: Partial<Record<GrpcStatus, PeerErrorCode>> = {
  [GrpcStatus.INVALID_ARGUMENT]: PEER_ERROR_CODES.validation,
  [GrpcStatus.NOT_FOUND]: PEER_ERROR_CODES.notFound,
  [GrpcStatus.FAILED_PRECONDITION]: PEER_ERROR_CODES.illegalState,
  [GrpcStatus.DEADLINE_EXCEEDED]: PEER_ERROR_CODES.timeout,
  [GrpcStatus.UNAVAILABLE]: PEER_ERROR_CODES.unavailable,
};

export type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

export function callPeer<Req, Res>(
  peer: string,
  method: Unary<Req, Res>,
  request: Req,
  timeoutMs: number,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method(request, new Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => {
      if (!error) return resolve(response);
      // Anything a peer answers outside the table (INTERNAL, UNKNOWN...) is its failure, not the caller's.
      const code = CODE_BY_STATUS[error.code] ?? PEER_ERROR_CODES.unavailable;
      reject(new PeerError(peer, code, error.details || error.message, { cause: error }));
    }),
  );
}
