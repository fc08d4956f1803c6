// MediaStore.FetchMedia over a real speech cache and a real gRPC server: a client that goes away while the
// server waits for it to take more must not leave the cached file open (one descriptor per abandoned fetch).
import { readdir, readlink, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { createLogger } from '@callctl/logging';
import { mediaStore } from '@callctl/proto';
import { startGrpcServer, type RunningGrpcServer } from '@callctl/service';
import { WavCache } from '../src/adapters/cache/wav-cache.js';
import { mediaStoreService } from '../src/adapters/grpc/media-store-service.js';
import { encodeWav } from '../src/domain/wav.js';

jest.setTimeout(30_000);

const log = createLogger({ service: 'tts-test', level: 'silent' });
const MEDIA_ID = `tts-${'a'.repeat(64)}`;

/** How many of this process's descriptors are open on `path`. */
async function openDescriptors(path: string): Promise<number> {
  const links = await Promise.all(
    (await readdir('/proc/self/fd')).map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')),
  );
  return links.filter((link) => link === path).length;
}

describe('MediaStore.FetchMedia', () => {
  let dir: string;
  let server: RunningGrpcServer;
  let client: mediaStore.MediaStoreClient;
  let path: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tts-store-cancel-'));
    const cache = await WavCache.open({ dir, maxBytes: 1 << 30, log });
    // 4 MB of samples: far more than the HTTP/2 windows and the stream's buffer hold.
    path = (await cache.store(MEDIA_ID, encodeWav(new Uint8Array(4 * 1024 * 1024), 8000), 262_144)).path;
    server = await startGrpcServer({
      log,
      host: '127.0.0.1',
      port: 0,
      services: [mediaStoreService({ cache, log })],
    });
    client = new mediaStore.MediaStoreClient(server.address, credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('closes the cached file when the client cancels a fetch it stopped reading', async () => {
    const call = client.fetchMedia({ mediaId: MEDIA_ID });
    await new Promise<void>((resolve) =>
      call.once('data', () => {
        call.pause(); // the server soon waits for room to write
        resolve();
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await openDescriptors(path)).toBe(1); // the server is mid-file
    call.on('error', () => undefined); // CANCELLED, as asked
    call.cancel();
    let open = 1;
    for (let tries = 0; tries < 50 && open > 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      open = await openDescriptors(path);
    }
    expect(open).toBe(0);
  });
});
