// MediaStore.FetchMedia over the speech cache: the WAV in chunks of up to 64 KiB, the first one carrying
// the total size and duration.
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { toServiceError } from '@callctl/errors/grpc';
import { mediaStore } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import type { ServiceBinding } from '@callctl/service';
import { MediaNotFoundError, SynthesisRequestError } from '../../domain/errors.js';
import { MEDIA_ID_PATTERN } from '../../app/media-id.js';
import type { SpeechCache } from '../../app/ports.js';

export const MEDIA_STORE_SERVICE = 'callctl.media.v1.MediaStore';
export const FETCH_CHUNK_BYTES = 64 * 1024;

type FetchCall = ServerWritableStream<mediaStore.FetchMediaRequest, mediaStore.FetchMediaResponse>;

async function serve(call: FetchCall, cache: SpeechCache): Promise<void> {
  const { mediaId } = call.request;
  if (!MEDIA_ID_PATTERN.test(mediaId)) {
    throw new SynthesisRequestError(`media id "${mediaId}" is not a tts media id (tts-<64 hex>)`);
  }
  const entry = cache.lookup(mediaId);
  const notFound = () =>
    new MediaNotFoundError(`no media "${mediaId}" (never made, or evicted)`, { mediaId });
  if (!entry) throw notFound();
  const file = createReadStream(entry.path, { highWaterMark: FETCH_CHUNK_BYTES });
  try {
    await once(file, 'open');
  } catch {
    throw notFound(); // evicted between the look-up and the open
  }
  // A client that goes away while we wait for room never drains: stop waiting then, or the file stays open.
  let gone!: () => void;
  const left = new Promise<void>((resolve) => (gone = resolve));
  call.once('cancelled', () => gone());
  call.once('close', () => gone());
  let first = true;
  try {
    for await (const chunk of file as AsyncIterable<Buffer>) {
      if (call.cancelled) return;
      const message = first
        ? { chunk, totalBytes: entry.bytes, durationMs: entry.durationMs }
        : { chunk, totalBytes: 0, durationMs: 0 };
      first = false;
      if (!call.write(message)) await Promise.race([once(call, 'drain'), left]);
    }
  } finally {
    file.destroy();
  }
  if (!call.cancelled) call.end();
}

export function mediaStoreService(options: { cache: SpeechCache; log: Logger }): ServiceBinding {
  const implementation: mediaStore.MediaStoreServer = {
    fetchMedia: (call) => {
      // grpc-js sends a server stream's status from its 'error' event.
      serve(call, options.cache).catch((error: unknown) =>
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
