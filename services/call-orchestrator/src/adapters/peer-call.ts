// A call to an internal peer (sip-edge, media-worker) through the shared peer call (@callctl/service),
// its failure turned into a PeerError (app/errors.ts) that keeps the original as `cause`.
import { ERROR_KINDS, type ErrorKind } from '@callctl/errors';
import {
  callPeer as callPeerWith,
  type OwnerDirectory,
  type PeerClients,
  type PeerInstance,
  type Unary,
} from '@callctl/service';
import { PEER_ERROR_CODES, PeerError, type PeerErrorCode } from '../app/errors.js';

export type { Unary };

const CODE_BY_KIND: Partial<Record<ErrorKind, PeerErrorCode>> = {
  [ERROR_KINDS.invalidArgument]: PEER_ERROR_CODES.validation,
  [ERROR_KINDS.notFound]: PEER_ERROR_CODES.notFound,
  [ERROR_KINDS.failedPrecondition]: PEER_ERROR_CODES.illegalState,
  [ERROR_KINDS.deadlineExceeded]: PEER_ERROR_CODES.timeout,
};

export function callPeer<Req, Res>(
  peer: string,
  method: Unary<Req, Res>,
  request: Req,
  timeoutMs: number,
): Promise<Res> {
  return callPeerWith(method, request, {
    timeoutMs,
    toError: ({ kind, details, cause }) =>
      new PeerError(peer, CODE_BY_KIND[kind] ?? PEER_ERROR_CODES.unavailable, details, { cause }),
  });
}

/**
 * The instance of `peer` that holds `key` (`what` names it in messages), or undefined when every live
 * instance answered that it does not; UNAVAILABLE when one that did not answer may hold it.
 */
export async function ownerOf(
  peer: string,
  owners: OwnerDirectory,
  key: string,
  what: string,
): Promise<PeerInstance | undefined> {
  const lookup = await owners.find(key);
  if (lookup.owner) return lookup.owner;
  if (lookup.unreachable.length > 0)
    throw new PeerError(
      peer,
      PEER_ERROR_CODES.unavailable,
      `${what} is held by no instance that answered (${lookup.unreachable.join(', ')} did not)`,
    );
  return undefined;
}

/**
 * A unary call at one instance of `peer` through `clients` (one client per address): `method` picks the
 * generated client's method, which is called bound to its client.
 */
export const callAt =
  <C extends { close(): void }>(peer: string, clients: PeerClients<C>, timeoutMs: number) =>
  <Req, Res>(at: PeerInstance, method: (client: C) => unknown, request: Req): Promise<Res> => {
    const client = clients.at(at.address);
    const bound = (method(client) as Unary<Req, Res>).bind(client) as Unary<Req, Res>;
    return callPeer(peer, bound, request, timeoutMs);
  };
