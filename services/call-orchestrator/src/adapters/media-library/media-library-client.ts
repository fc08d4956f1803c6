import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { mediaLibrary } from '@callctl/proto';
import type { MediaLibraryPort } from '../../app/ports.js';
import { callPeer, type Unary } from '../peer-call.js';

export interface MediaLibraryClientOptions {
  /** host:port of the media library's gRPC server. */
  address: string;
  timeoutMs: number;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
}

/** MediaLibraryPort over callctl.v1.MediaLibrary GetMedia. */
export function mediaLibraryClient(options: MediaLibraryClientOptions): MediaLibraryPort & { close(): void } {
  const client = new mediaLibrary.MediaLibraryClient(
    options.address,
    options.credentials ?? credentials.createInsecure(),
  );
  return {
    getMedia: async (mediaId) => {
      const reply = await callPeer<mediaLibrary.GetMediaRequest, mediaLibrary.GetMediaResponse>(
        'media-library',
        client.getMedia.bind(client) as Unary<mediaLibrary.GetMediaRequest, mediaLibrary.GetMediaResponse>,
        { mediaId },
        options.timeoutMs,
      );
      return { mediaId: reply.media?.mediaId ?? mediaId, durationMs: reply.media?.durationMs ?? 0 };
    },
    close: () => client.close(),
  };
}
