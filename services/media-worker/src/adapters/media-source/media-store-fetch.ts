import { credentials, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { mediaStore } from '@callctl/proto';
import { liveOrFallback, PeerClients, type PeerInstances } from '@callctl/service';
import { NotFoundError, TimeoutError, UnavailableError, ValidationError } from '../../domain/errors.js';

/** Fetches one media id's bytes; rejects with the worker's domain errors. */
export type FetchStoredMedia = (
  mediaId: string,
  limits: { timeoutMs: number; maxBytes: number },
) => Promise<Buffer>;

/**
 * A callctl.media.v1.MediaStore client (the tts and media-library services both serve it): FetchMedia's
 * chunks are gathered into one buffer, bounded by a deadline and a size. NOT_FOUND stays NOT_FOUND (the
 * orchestrator then records nothing), DEADLINE_EXCEEDED is a timeout, anything else the store being
 * unavailable. Messages name the source as the request gave it (`tts:<id>`), never the store's address.
 */
export function mediaStoreFetcher(
  scheme: string,
  address: string,
  channelCredentials: ChannelCredentials = credentials.createInsecure(),
  instances?: PeerInstances,
): { fetch: FetchStoredMedia; close(): void } {
  const clients = PeerClients.of(mediaStore.MediaStoreClient, channelCredentials);
  const fetchAt = fetchFrom(scheme, (at) => clients.at(at));
  return {
    // Several instances of a store keep their own files (the tts cache): an id is asked of each live one
    // in turn until one has it. Ids are content addresses, so any copy is the same media.
    fetch: async (mediaId, limits) => {
      const addresses = liveOrFallback(instances ?? { list: () => [] }, address).map((i) => i.address);
      let failure: unknown;
      for (const at of addresses) {
        try {
          return await fetchAt(at, mediaId, limits);
        } catch (error) {
          if (error instanceof ValidationError || error instanceof TimeoutError) throw error;
          // Unavailable outranks not found: the instance that has it may be the one that did not answer.
          if (!(failure instanceof UnavailableError)) failure = error;
        }
      }
      throw failure;
    },
    close: () => clients.close(),
  };
}

function fetchFrom(
  scheme: string,
  clientAt: (address: string) => mediaStore.MediaStoreClient,
): (address: string, mediaId: string, limits: { timeoutMs: number; maxBytes: number }) => Promise<Buffer> {
  return (address, mediaId, { timeoutMs, maxBytes }) =>
    new Promise<Buffer>((resolve, reject) => {
      const source = `${scheme}:${mediaId}`;
      const call = clientAt(address).fetchMedia({ mediaId }, { deadline: Date.now() + timeoutMs });
      const chunks: Buffer[] = [];
      let size = 0;
      let failed = false;
      call.on('data', (message: mediaStore.FetchMediaResponse) => {
        size += message.chunk.byteLength;
        if (size > maxBytes) {
          failed = true;
          call.cancel();
          reject(new ValidationError(`media ${source} larger than ${maxBytes} bytes`));
          return;
        }
        chunks.push(Buffer.from(message.chunk));
      });
      call.on('error', (error: ServiceError) => {
        if (failed) return;
        failed = true;
        if (error.code === status.NOT_FOUND)
          reject(new NotFoundError(`media not found: ${source}`, {}, { cause: error }));
        else if (error.code === status.DEADLINE_EXCEEDED)
          reject(
            new TimeoutError(`media ${source} not fetched within ${timeoutMs} ms`, {}, { cause: error }),
          );
        else
          reject(
            new UnavailableError(
              `media store for ${scheme}: unavailable (${error.details})`,
              {},
              { cause: error },
            ),
          );
      });
      call.on('end', () => {
        if (failed) return;
        if (size === 0) reject(new UnavailableError(`media store sent no bytes for ${source}`));
        else resolve(Buffer.concat(chunks));
      });
    });
}
