import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Server, ServerCredentials, status, type ServerWritableStream } from '@grpc/grpc-js';
import { mediaStore } from '@callctl/proto';

const CHUNK_BYTES = 64 * 1024;

export interface MediaStoreServer {
  address: string;
  /** Media ids asked for, in order (a cached id is not asked again). */
  fetched: string[];
  close(): Promise<void>;
}

/**
 * The MediaStore contract's reference behaviour (proto/callctl/media/v1/media_store.proto), for the
 * worker's own tests: `<dir>/<media id>.wav` is served in chunks of up to 64 KiB, the first message
 * carrying the total size; an unknown id is NOT_FOUND; the id `hangOn` is never answered. The tts and media-library services serve the same
 * API; the end-to-end tests of the whole platform play through those real services.
 */
export async function startMediaStoreServer(
  dir: string,
  options: { hangOn?: string } = {},
): Promise<MediaStoreServer> {
  const fetched: string[] = [];
  const server = new Server();
  server.addService(mediaStore.MediaStoreService, {
    fetchMedia: (call: ServerWritableStream<mediaStore.FetchMediaRequest, mediaStore.FetchMediaResponse>) => {
      const id = call.request.mediaId;
      fetched.push(id);
      // A store that never answers, for deadline tests.
      if (id === options.hangOn) return;
      if (!/^[A-Za-z0-9_-]+$/.test(id)) {
        call.emit('error', { code: status.INVALID_ARGUMENT, details: `bad media id: ${id}` });
        return;
      }
      readFile(join(dir, `${id}.wav`)).then(
        (bytes) => {
          for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES)
            call.write({
              chunk: bytes.subarray(offset, offset + CHUNK_BYTES),
              totalBytes: offset === 0 ? bytes.length : 0,
              // Data after sox's 44-byte header at the header's byte rate.
              durationMs:
                offset === 0 ? Math.round(((bytes.length - 44) / bytes.readUInt32LE(28)) * 1000) : 0,
            });
          call.end();
        },
        () => call.emit('error', { code: status.NOT_FOUND, details: `unknown media id: ${id}` }),
      );
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    fetched,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
