// Promise wrappers over the generated MediaLibrary and MediaStore clients, for tests: each call is made
// once, with a deadline, and a failure rejects with the grpc-js error (its code and details are asserted).
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { mediaLibrary, mediaStore } from '@callctl/proto';

const DEADLINE_MS = 30_000;
/** Chunk size of the test uploads: several chunks for any file above it. */
export const UPLOAD_CHUNK_BYTES = 16 * 1024;

export class LibraryTestClient {
  readonly library: mediaLibrary.MediaLibraryClient;
  readonly store: mediaStore.MediaStoreClient;

  constructor(address: string) {
    this.library = new mediaLibrary.MediaLibraryClient(address, credentials.createInsecure());
    this.store = new mediaStore.MediaStoreClient(address, credentials.createInsecure());
  }

  /**
   * UploadMedia: the metadata, then `bytes` in chunks, waiting for the stream to drain between them. With
   * `stall`, the stream is never ended (an upload that stops halfway).
   */
  upload(
    name: string | undefined,
    bytes: Uint8Array,
    options: { stall?: boolean } = {},
  ): Promise<mediaLibrary.UploadMediaResponse> {
    return new Promise((resolve, reject) => {
      let done = false;
      const stream = this.library.uploadMedia(
        new Metadata(),
        { deadline: Date.now() + DEADLINE_MS },
        (error: ServiceError | null, response) => {
          done = true;
          if (error) reject(error);
          else resolve(response);
        },
      );
      const write = async () => {
        if (name !== undefined) stream.write({ part: { $case: 'metadata', metadata: { name } } });
        for (let at = 0; at < bytes.length && !done; at += UPLOAD_CHUNK_BYTES) {
          const chunk = Buffer.from(bytes.subarray(at, at + UPLOAD_CHUNK_BYTES));
          if (!stream.write({ part: { $case: 'chunk', chunk } }))
            await new Promise((drained) => stream.once('drain', drained));
        }
        if (!options.stall && !done) stream.end();
      };
      write().catch(reject);
    });
  }

  list = (pageSize = 0, pageToken = '') =>
    this.unary<mediaLibrary.ListMediaRequest, mediaLibrary.ListMediaResponse>(this.library.listMedia, {
      pageSize,
      pageToken,
    });
  get = (mediaId: string) =>
    this.unary<mediaLibrary.GetMediaRequest, mediaLibrary.GetMediaResponse>(this.library.getMedia, {
      mediaId,
    });
  delete = (mediaId: string) =>
    this.unary<mediaLibrary.DeleteMediaRequest, mediaLibrary.DeleteMediaResponse>(this.library.deleteMedia, {
      mediaId,
    });

  /** FetchMedia: every message of the stream. */
  fetch(mediaId: string): Promise<mediaStore.FetchMediaResponse[]> {
    return new Promise((resolve, reject) => {
      const messages: mediaStore.FetchMediaResponse[] = [];
      const stream = this.store.fetchMedia({ mediaId }, { deadline: Date.now() + DEADLINE_MS });
      stream.on('data', (m: mediaStore.FetchMediaResponse) => messages.push(m));
      stream.on('error', reject);
      stream.on('end', () => resolve(messages));
    });
  }

  close(): void {
    this.library.close();
    this.store.close();
  }

  private unary<Req, Res>(method: (...args: never[]) => unknown, request: Req): Promise<Res> {
    return new Promise((resolve, reject) =>
      (
        method as (
          r: Req,
          m: Metadata,
          o: { deadline: number },
          cb: (e: ServiceError | null, r: Res) => void,
        ) => void
      ).call(
        this.library,
        request,
        new Metadata(),
        { deadline: Date.now() + DEADLINE_MS },
        (error, response) => (error ? reject(error) : resolve(response)),
      ),
    );
  }
}

/** The 16-bit samples of a PCM WAV's data chunk, with its rate (the header is read the simple way). */
export function wavSamples(wav: Buffer): {
  sampleRateHz: number;
  channels: number;
  bits: number;
  samples: number[];
} {
  let at = 12;
  let format = { sampleRateHz: 0, channels: 0, bits: 0 };
  while (at + 8 <= wav.length) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === 'fmt ')
      format = {
        channels: wav.readUInt16LE(at + 10),
        sampleRateHz: wav.readUInt32LE(at + 12),
        bits: wav.readUInt16LE(at + 22),
      };
    if (id === 'data') {
      const samples: number[] = [];
      for (let i = at + 8; i + 1 < Math.min(wav.length, at + 8 + size); i += 2)
        samples.push(wav.readInt16LE(i));
      return { ...format, samples };
    }
    at += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}
