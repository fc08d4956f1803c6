// The media-worker instance whose rtpengine holds a media session: every command on the session's parties
// must go there (each worker drives its own rtpengine, 1:1). Used by every client of the media-worker.
import type { ChannelCredentials } from '@grpc/grpc-js';
import { ERROR_KINDS, type ErrorKind } from '@callctl/errors';
import { media } from '@callctl/proto';
import { callPeer, type Unary } from '../peer-call.js';
import { OwnerDirectory, PeerClients, type PeerInstances } from './owner-directory.js';

export interface MediaSessionOwnersOptions {
  /** host:port of "any" media-worker (MEDIA_WORKER_GRPC): used while no instance has announced itself. */
  address: string;
  /** Deadline of the Query that asks a worker whether it holds a session. */
  timeoutMs: number;
  /** The media-worker instances alive now. @default none: always `address` */
  instances?: PeerInstances;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
  /** The caller's typed error for a session no worker holds (notFound) or one that cannot be told (unavailable). */
  toError(kind: ErrorKind, message: string): Error;
}

export interface MediaSessionOwners {
  /** One client per worker address. */
  readonly clients: PeerClients<media.MediaWorkerClient>;
  readonly directory: OwnerDirectory;
  /** The address of the worker holding the session (found by asking every live worker once). */
  addressOf(sessionId: string): Promise<string>;
}

const NO_INSTANCES: PeerInstances = { list: () => [] };
const HOLDS = 'holds';

export function mediaSessionOwners(o: MediaSessionOwnersOptions): MediaSessionOwners {
  const clients = PeerClients.of(media.MediaWorkerClient, o.credentials);
  const directory = new OwnerDirectory({
    instances: o.instances ?? NO_INSTANCES,
    fallbackAddress: o.address,
    // rtpengine knows the session (Query answers) or says it has none (NOT_FOUND); anything else is no answer.
    probe: async (address, sessionId) => {
      const client = clients.at(address);
      const answer = await callPeer(
        client.query.bind(client) as Unary<media.QueryRequest, media.QueryResponse>,
        { sessionId },
        { timeoutMs: o.timeoutMs, toError: (failure) => Object.assign(new Error(failure.details), failure) },
      ).then(
        () => HOLDS,
        (error: { kind?: ErrorKind }) => {
          if (error.kind === ERROR_KINDS.notFound) return undefined;
          throw error;
        },
      );
      return answer === HOLDS;
    },
  });
  return {
    clients,
    directory,
    addressOf: async (sessionId) => {
      const lookup = await directory.find(sessionId);
      if (lookup.owner) return lookup.owner.address;
      if (lookup.unreachable.length > 0)
        throw o.toError(
          ERROR_KINDS.unavailable,
          `media session ${sessionId} is held by no worker that answered (${lookup.unreachable.join(', ')} did not)`,
        );
      throw o.toError(ERROR_KINDS.notFound, `no media-worker holds session ${sessionId}`);
    },
  };
}
