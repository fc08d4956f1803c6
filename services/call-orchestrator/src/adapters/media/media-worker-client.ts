import { posix } from 'node:path';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { media } from '@callctl/proto';
import type { MediaPort } from '../../app/ports.js';
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
}

/** An http(s) URL is passed as it is; `file:<id>` becomes a path the worker can open. */
export function mediaSource(mediaUri: string, mediaFilesDir: string): string {
  return mediaUri.startsWith(FILE_PREFIX)
    ? posix.join(mediaFilesDir, mediaUri.slice(FILE_PREFIX.length))
    : mediaUri;
}

/** MediaPort over the media-worker's gRPC MediaWorker service. */
export function mediaWorkerClient(options: MediaWorkerClientOptions): MediaPort & { close(): void } {
  const client = new media.MediaWorkerClient(
    options.address,
    options.credentials ?? credentials.createInsecure(),
  );
  const call = <Req, Res>(method: Unary<Req, Res>, request: Req, timeoutMs = options.timeoutMs) =>
    callPeer('media-worker', method.bind(client) as Unary<Req, Res>, request, timeoutMs);
  return {
    play: async (r) => {
      await call(client.play, {
        sessionId: r.party.sessionId,
        tag: r.party.tag,
        source: mediaSource(r.source, options.mediaFilesDir),
        repeat: r.repeat,
        playbackId: r.playbackId,
        callId: r.callId,
      });
    },
    stopPlay: async ({ sessionId, tag }) => {
      await call(client.stopPlay, { sessionId, tag });
    },
    sendDtmf: async (r) => {
      const reply = await call<media.SendDtmfRequest, media.SendDtmfResponse>(client.sendDtmf, {
        sessionId: r.party.sessionId,
        tag: r.party.tag,
        digits: r.digits,
        durationMs: r.durationMs,
        callId: r.callId,
      });
      return { sent: reply.sent };
    },
    setDtmfDetection: async (r) => {
      await call(client.setDtmfDetection, {
        sessionId: r.party.sessionId,
        tag: r.party.tag,
        inband: r.inband,
        callId: r.callId,
      });
    },
    startEcho: async ({ sessionId, tag }) => {
      await call(client.startEcho, { sessionId, tag });
    },
    stopEcho: async ({ sessionId, tag }) => {
      await call(client.stopEcho, { sessionId, tag });
    },
    flushFacts: async (callId, timeoutMs) => {
      await call(client.flushFacts, { callId }, timeoutMs);
    },
    close: () => client.close(),
  };
}
