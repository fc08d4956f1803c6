// callctl.media.v1.MediaStore for the media-worker: a stored WAV in chunks of up to 64 KiB, sent at the
// client's pace (the next chunk waits for the socket to drain).
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { mediaStore } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import type { ServiceBinding } from '@callctl/service';
import { toServiceError } from '@callctl/errors/grpc';
import type { MediaLibrary } from '../../app/media-library.js';

export const MEDIA_STORE_SERVICE = 'callctl.media.v1.MediaStore';
/** The contract's largest chunk. */
export const FETCH_CHUNK_BYTES = 64 * 1024;

type FetchCall = ServerWritableStream<mediaStore.FetchMediaRequest, mediaStore.FetchMediaResponse>;

async function serveFetch(library: MediaLibrary, call: FetchCall): Promise<void> {
  const { file, wav } = await library.content(call.request.mediaId);
  let gone!: () => void;
  const left = new Promise<void>((resolve) => (gone = resolve));
  call.on('cancelled', () => gone());
  call.on('close', () => gone());
  for (let at = 0; at === 0 || at < wav.length; at += FETCH_CHUNK_BYTES) {
    if (call.cancelled) return;
    const chunk = Buffer.from(wav.buffer, wav.byteOffset + at, Math.min(FETCH_CHUNK_BYTES, wav.length - at));
    const first = at === 0;
    const message = { chunk, totalBytes: first ? wav.length : 0, durationMs: first ? file.durationMs : 0 };
    if (!call.write(message))
      await Promise.race([new Promise((resolve) => call.once('drain', resolve)), left]);
  }
  if (!call.cancelled) call.end();
}

export function mediaStoreService(options: { library: MediaLibrary; log: Logger }): ServiceBinding {
  const implementation: mediaStore.MediaStoreServer = {
    fetchMedia: (call) => {
      // grpc-js sends a server stream's status from its 'error' event; destroy(error) would send none.
      serveFetch(options.library, call).catch((error: unknown) =>
        call.emit('error', toServiceError(error, options.log.child({ rpc: 'FetchMedia' }))),
      );
    },
  };
  return {
    name: MEDIA_STORE_SERVICE,
    definition: mediaStore.MediaStoreService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
