import type { ChannelCredentials } from '@grpc/grpc-js';
import { posix } from 'node:path';
import { type media } from '@callctl/proto';
import { ERROR_KINDS } from '@callctl/errors';
import { mediaSessionOwners, type PeerInstances } from '@callctl/service';
import type { MediaParty, MediaPort } from '../../app/ports.js';
import { PEER_ERROR_CODES, PeerError } from '../../app/errors.js';
import { FILE_PREFIX } from '../../app/media-sources.js';
import { callPeer, type Unary } from '../peer-call.js';

export interface MediaWorkerClientOptions {
  /** host:port of the media-worker's gRPC server. */
  address: string;
  /** Deadline of each call; Play may download a prompt first, so give it room. */
  timeoutMs: number;
  /** Directory on the media-worker's host holding uploaded files: `file:<id>` plays `<dir>/<id>`. */
  mediaFilesDir: string;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
  /** The media-worker instances alive now (their announcements). @default none: always `address` */
  instances?: PeerInstances;
}

/** An http(s) URL is passed as it is; `file:<id>` becomes a path the worker can open. */
export function mediaSource(mediaUri: string, mediaFilesDir: string): string {
  return mediaUri.startsWith(FILE_PREFIX)
    ? posix.join(mediaFilesDir, mediaUri.slice(FILE_PREFIX.length))
    : mediaUri;
}

/**
 * MediaPort over the media-worker's gRPC MediaWorker service, across its instances: each party's commands
 * go to the worker whose rtpengine holds the party's session (@callctl/service mediaSessionOwners).
 */
export function mediaWorkerClient(options: MediaWorkerClientOptions): MediaPort & { close(): void } {
  const owners = mediaSessionOwners({
    ...options,
    toError: (kind, message) =>
      new PeerError(
        'media-worker',
        kind === ERROR_KINDS.notFound ? PEER_ERROR_CODES.notFound : PEER_ERROR_CODES.unavailable,
        message,
      ),
  });
  const { clients } = owners;
  /** A command on the party's session, at the worker that holds it. */
  const on = async <Req, Res>(
    party: Pick<MediaParty, 'sessionId'>,
    method: (client: media.MediaWorkerClient) => Unary<Req, Res>,
    request: Req,
  ) => {
    const client = clients.at(await owners.addressOf(party.sessionId));
    return callPeer(
      'media-worker',
      method(client).bind(client) as Unary<Req, Res>,
      request,
      options.timeoutMs,
    );
  };
  return {
    play: async (r) => {
      await on(r.party, (c) => c.play, {
        sessionId: r.party.sessionId,
        tag: r.party.tag,
        source: mediaSource(r.source, options.mediaFilesDir),
        repeat: r.repeat,
        playbackId: r.playbackId,
        callId: r.callId,
      });
    },
    stopPlay: async ({ sessionId, tag }) => {
      await on({ sessionId }, (c) => c.stopPlay, { sessionId, tag });
    },
    blockMedia: async ({ sessionId, tag }) => {
      await on({ sessionId }, (c) => c.blockMedia, { sessionId, tag });
    },
    unblockMedia: async ({ sessionId, tag }) => {
      await on({ sessionId }, (c) => c.unblockMedia, { sessionId, tag });
    },
    sendDtmf: async (r) => {
      const reply = await on<media.SendDtmfRequest, media.SendDtmfResponse>(r.party, (c) => c.sendDtmf, {
        sessionId: r.party.sessionId,
        tag: r.party.tag,
        digits: r.digits,
        durationMs: r.durationMs,
        callId: r.callId,
      });
      return { sent: reply.sent };
    },
    setDtmfDetection: async (r) => {
      await on(r.party, (c) => c.setDtmfDetection, {
        sessionId: r.party.sessionId,
        tag: r.party.tag,
        inband: r.inband,
        callId: r.callId,
      });
    },
    startEcho: async ({ sessionId, tag }) => {
      await on({ sessionId }, (c) => c.startEcho, { sessionId, tag });
    },
    stopEcho: async ({ sessionId, tag }) => {
      await on({ sessionId }, (c) => c.stopEcho, { sessionId, tag });
    },
    // The call's facts may come from any worker (its media moved by a bridge): every live one is asked.
    flushFacts: async (callId, timeoutMs) => {
      await Promise.all(
        owners.directory.candidates().map((at) => {
          const client = clients.at(at.address);
          return callPeer(
            'media-worker',
            client.flushFacts.bind(client) as Unary<media.FlushFactsRequest, media.FlushFactsResponse>,
            { callId },
            timeoutMs,
          );
        }),
      );
    },
    startFork: async (r) => {
      const reply = await on<media.StartForkRequest, media.StartForkResponse>(r.party, (c) => c.startFork, {
        sessionId: r.party.sessionId,
        forkId: r.forkId,
        fromTags: [r.party.tag],
        sinkAddress: r.sinkAddress,
        sinkPorts: [r.sinkPort],
        wideband: false,
        callId: r.callId,
      });
      return { codec: reply.parties[0]?.codec ?? '' };
    },
    stopFork: async ({ sessionId }, forkId) => {
      await on({ sessionId }, (c) => c.stopFork, { sessionId, forkId });
    },
    routeToMixer: async (r) => {
      const reply = await on<media.RouteToMixerRequest, media.RouteToMixerResponse>(
        r.party,
        (c) => c.routeToMixer,
        {
          sessionId: r.party.sessionId,
          tag: r.party.tag,
          mixerSdp: r.mixerSdp,
          mixerAddress: r.mixerAddress,
          callId: r.callId,
          routeId: r.routeId,
        },
      );
      return { sdp: reply.sdp };
    },
    restoreRoute: async (r) => {
      await on(r.party, (c) => c.restoreRoute, {
        sessionId: r.party.sessionId,
        tag: r.party.tag,
        callId: r.callId,
      });
    },
    offerRecordingFork: async (r) => {
      const reply = await on<media.OfferRecordingForkRequest, media.OfferRecordingForkResponse>(
        r,
        (c) => c.offerRecordingFork,
        {
          sessionId: r.sessionId,
          forkId: r.forkId,
          fromTags: [...r.fromTags],
          labels: [...r.labels],
          callId: r.callId,
        },
      );
      return { sdp: reply.sdp };
    },
    answerRecordingFork: async (r) => {
      await on(r, (c) => c.answerRecordingFork, {
        sessionId: r.sessionId,
        forkId: r.forkId,
        sdp: r.sdp,
        callId: r.callId,
      });
    },
    close: () => clients.close(),
  };
}
