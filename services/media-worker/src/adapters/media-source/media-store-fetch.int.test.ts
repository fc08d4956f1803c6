import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMediaStoreServer, type MediaStoreServer } from '../../../test/support/media-store-server.js';
import { mediaStoreFetcher } from './media-store-fetch.js';

describe('MediaStore client (real gRPC server on loopback)', () => {
  let dir: string;
  let server: MediaStoreServer;
  let store: ReturnType<typeof mediaStoreFetcher>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'media-store-fetch-'));
    // 200 KiB: more than three 64 KiB chunks. A WAV header's byte rate at offset 28 for the server.
    const bytes = Buffer.alloc(200 * 1024, 7);
    bytes.writeUInt32LE(16_000, 28);
    writeFileSync(join(dir, 'big.wav'), bytes);
    server = await startMediaStoreServer(dir, { hangOn: 'stuck' });
    store = mediaStoreFetcher('tts', server.address);
  });
  afterAll(async () => {
    store?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gathers every chunk of the media', async () => {
    const bytes = await store.fetch('big', { timeoutMs: 5000, maxBytes: 1_000_000 });
    expect(bytes.length).toBe(200 * 1024);
    expect(bytes.subarray(200, 210)).toEqual(Buffer.alloc(10, 7));
  });

  it('NOT_FOUND from the store is a NotFoundError naming the source', async () => {
    await expect(store.fetch('nope', { timeoutMs: 5000, maxBytes: 1_000_000 })).rejects.toMatchObject({
      name: 'NotFoundError',
      message: 'media not found: tts:nope',
    });
  });

  it('a store that does not answer within the deadline is a TimeoutError', async () => {
    await expect(store.fetch('stuck', { timeoutMs: 300, maxBytes: 1_000_000 })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });

  it('refuses media larger than the size bound', async () => {
    await expect(store.fetch('big', { timeoutMs: 5000, maxBytes: 100_000 })).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'media tts:big larger than 100000 bytes',
    });
  });

  it('an unreachable store is an UnavailableError', async () => {
    const down = mediaStoreFetcher('library', '127.0.0.1:1');
    try {
      await expect(down.fetch('x', { timeoutMs: 2000, maxBytes: 1000 })).rejects.toMatchObject({
        name: 'UnavailableError',
      });
    } finally {
      down.close();
    }
  });
});
