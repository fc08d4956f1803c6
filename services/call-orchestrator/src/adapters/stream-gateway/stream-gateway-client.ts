import type { ChannelCredentials } from '@grpc/grpc-js';
import { streamGateway } from '@callctl/proto';
import { OwnerDirectory, PeerClients, type PeerInstance, type PeerInstances } from '@callctl/service';
import type { StreamGatewayPort } from '../../app/ports.js';
import { PEER_ERROR_CODES, PeerError } from '../../app/errors.js';
import { callAt, ownerOf } from '../peer-call.js';

export interface StreamGatewayClientOptions {
  /** host:port of "any" stream gateway (STREAM_GATEWAY_GRPC): used while no instance announced itself. */
  address: string;
  /** Deadline of each call (STREAM_GATEWAY_TIMEOUT_MS); OpenStream resolves once the forks are in place. */
  timeoutMs: number;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
  /** The gateways alive now (announcements on `instances.stream-gateway.<name>`). @default none: `address` */
  instances?: PeerInstances;
}

const NO_INSTANCES: PeerInstances = { list: () => [] };

/**
 * StreamGatewayPort over the stream gateway's gRPC (proto/callctl/streams/v1), across its instances. A
 * stream lives in the memory of the instance that opened it, so every later request goes to that one: the
 * one this orchestrator opened it on, else the one that says it holds it (HoldsStream). A stream nobody
 * holds was lost with its gateway: NOT_FOUND.
 */
export function streamGatewayClient(
  options: StreamGatewayClientOptions,
): StreamGatewayPort & { close(): void } {
  const clients = PeerClients.of(streamGateway.StreamGatewayClient, options.credentials);
  const call = callAt('stream-gateway', clients, options.timeoutMs);
  const probe = async (address: string, streamId: string) =>
    (
      await call<streamGateway.HoldsStreamRequest, streamGateway.HoldsStreamResponse>(
        { name: '', address },
        (c) => c.holdsStream,
        { streamId },
      )
    ).held;
  const owners = new OwnerDirectory({
    instances: options.instances ?? NO_INSTANCES,
    fallbackAddress: options.address,
    probe,
  });
  const holderOf = async (streamId: string): Promise<PeerInstance> => {
    const known = owners.known(streamId);
    if (known) return known;
    const owner = await ownerOf('stream-gateway', owners, streamId, `stream ${streamId}`);
    if (!owner)
      throw new PeerError('stream-gateway', PEER_ERROR_CODES.notFound, `no stream gateway holds ${streamId}`);
    return owner;
  };
  const on = async <Req extends { streamId: string }, Res>(
    method: (client: streamGateway.StreamGatewayClient) => unknown,
    request: Req,
  ): Promise<void> => {
    await call<Req, Res>(await holderOf(request.streamId), method, request);
  };
  return {
    openStream: async (request) => {
      const at = owners.known(request.streamId) ?? owners.assign(request.streamId);
      await call<streamGateway.OpenStreamRequest, streamGateway.OpenStreamResponse>(
        at,
        (c) => c.openStream,
        request,
      );
    },
    updateStream: (request) => on((c) => c.updateStream, request),
    sendStreamDtmf: (request) => on((c) => c.sendStreamDtmf, request),
    connectStreamOutput: (request) => on((c) => c.connectStreamOutput, request),
    pauseStream: (streamId) => on((c) => c.pauseStream, { streamId }),
    resumeStream: (streamId) => on((c) => c.resumeStream, { streamId }),
    closeStream: async (streamId, reason) => {
      try {
        await on((c) => c.closeStream, { streamId, reason });
      } finally {
        owners.forget(streamId);
      }
    },
    // Every instance is asked, the only one too (the directory takes a lone instance for the owner unasked).
    holdsStream: async (streamId) => {
      const candidates = owners.candidates();
      const answers = await Promise.allSettled(candidates.map((at) => probe(at.address, streamId)));
      const holder = answers.findIndex((a) => a.status === 'fulfilled' && a.value);
      if (holder >= 0) {
        owners.remember(streamId, candidates[holder]!);
        return true;
      }
      const failed = answers.flatMap((a) => (a.status === 'rejected' ? [a.reason as unknown] : []));
      if (failed.length > 0 || owners.missing().length > 0)
        throw new PeerError(
          'stream-gateway',
          PEER_ERROR_CODES.unavailable,
          `stream ${streamId}: ${failed.length} gateway(s) did not answer, ${owners.missing().length} missing`,
          { cause: failed[0] },
        );
      return false;
    },
    close: () => clients.close(),
  };
}
