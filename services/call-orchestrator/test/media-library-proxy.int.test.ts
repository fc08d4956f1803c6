// The orchestrator's MediaLibrary forwarding (adapters/grpc/media-library-proxy.ts) in front of the real
// media-library service (its built entry point, as a process, over a fresh migrated database): every RPC
// goes through, uploads larger than one socket's buffers included; the library's statuses and messages
// reach the caller unchanged; a library that is down is UNAVAILABLE and named.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { createLogger } from '@callctl/logging';
import { mediaLibrary } from '@callctl/proto';
import { startGrpcServer, type RunningGrpcServer } from '@callctl/service';
import {
  createTestDatabase,
  freePort,
  makeToneFile,
  type ManagedProcess,
  type TestDatabase,
} from '@callctl/testing';
import { mediaLibraryProxy, type MediaLibraryProxy } from '../src/adapters/grpc/media-library-proxy.js';
import { startMediaLibraryProcess } from './support/media-library-process.js';

jest.setTimeout(60_000);

const MAX_BYTES = 1024 * 1024;
const CHUNK_BYTES = 16 * 1024;
const DEADLINE_MS = 30_000;
const log = createLogger({ service: 'media-library-proxy-test', level: 'silent' });

/** A proxy on its own gRPC server, in front of `address`. */
async function startProxy(address: string): Promise<{ proxy: MediaLibraryProxy; server: RunningGrpcServer }> {
  const proxy = mediaLibraryProxy({ address, timeoutMs: 10_000, log });
  const server = await startGrpcServer({ log, host: '127.0.0.1', port: 0, services: [proxy.binding] });
  return { proxy, server };
}

/** UploadMedia with the metadata, then the bytes in chunks, waiting for the stream to drain. */
function upload(client: mediaLibrary.MediaLibraryClient, name: string, data: Uint8Array) {
  return new Promise<mediaLibrary.UploadMediaResponse>((resolve, reject) => {
    let done = false;
    const stream = client.uploadMedia(
      new Metadata(),
      { deadline: Date.now() + DEADLINE_MS },
      (error, response) => {
        done = true;
        if (error) reject(error);
        else resolve(response);
      },
    );
    void (async () => {
      stream.write({ part: { $case: 'metadata', metadata: { name } } });
      for (let at = 0; at < data.length && !done; at += CHUNK_BYTES) {
        const chunk = Buffer.from(data.subarray(at, at + CHUNK_BYTES));
        if (!stream.write({ part: { $case: 'chunk', chunk } }))
          await new Promise((drained) => stream.once('drain', drained));
      }
      if (!done) stream.end();
    })();
  });
}

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;
const unary = <Req, Res>(
  client: mediaLibrary.MediaLibraryClient,
  method: UnaryMethod<Req, Res>,
  request: Req,
) =>
  new Promise<Res>((resolve, reject) =>
    method.call(client, request, new Metadata(), { deadline: Date.now() + DEADLINE_MS }, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );

async function statusOf(promise: Promise<unknown>) {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as ServiceError | undefined;
  if (!error) throw new Error('expected the call to fail');
  return { code: error.code, details: error.details };
}

describe('MediaLibrary through the orchestrator', () => {
  let database: TestDatabase;
  let dir: string;
  let library: ManagedProcess;
  let front: { proxy: MediaLibraryProxy; server: RunningGrpcServer };
  let client: mediaLibrary.MediaLibraryClient;
  /** A mono 8 kHz 16-bit WAV of a tone, `seconds` long (16 000 bytes a second). */
  const toneWav = (name: string, seconds: number) => readFile(makeToneFile(dir, name, seconds, 1000));

  beforeAll(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'media-library-proxy-'));
    const started = await startMediaLibraryProcess({
      DATABASE_URL: database.url,
      MEDIA_UPLOAD_MAX_BYTES: String(MAX_BYTES),
      MEDIA_WORK_DIR: dir,
    });
    library = started.process;
    const port = started.port;
    front = await startProxy(`127.0.0.1:${port}`);
    client = new mediaLibrary.MediaLibraryClient(front.server.address, credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await front?.server.close();
    front?.proxy.close();
    await library?.stop();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('forwards an upload of many chunks, then get, list and delete', async () => {
    // 0.9 MiB in 16 KiB chunks, beyond the HTTP/2 flow-control windows: the proxy pauses and resumes the
    // caller's stream; every chunk arrives, in order (the library's size and length say so).
    const wav = await toneWav('long.wav', 59);
    expect(wav.length).toBeGreaterThan(900_000);
    const { media } = await upload(client, 'long.wav', wav);
    expect(media).toMatchObject({ uploadedFormat: 'wav', uploadedBytes: wav.length, sampleRateHz: 8000 });
    expect(media?.mediaId).toMatch(/^ml-[0-9a-f]{32}$/);
    expect(Math.abs((media?.durationMs ?? 0) - 59_000)).toBeLessThanOrEqual(50);
    const id = media!.mediaId;

    expect((await unary(client, client.getMedia, { mediaId: id })).media).toEqual(media);
    const listed = await unary(client, client.listMedia, { pageSize: 0, pageToken: '' });
    expect(listed.media.map((m) => m.mediaId)).toContain(id);
    await expect(unary(client, client.deleteMedia, { mediaId: id })).resolves.toEqual({});
    expect(await statusOf(unary(client, client.getMedia, { mediaId: id }))).toEqual({
      code: status.NOT_FOUND,
      details: `media not found: ${id}`,
    });
  });

  it("passes the library's refusals through: not audio, over the size limit, a bad id", async () => {
    const text = Buffer.from('not a prompt at all\n'.repeat(100));
    expect(await statusOf(upload(client, 'text.wav', text))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/not audio/),
    });
    const big = await toneWav('big.wav', (2 * MAX_BYTES) / 16_000);
    expect(await statusOf(upload(client, 'big.wav', big))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining(String(MAX_BYTES)),
    });
    expect(await statusOf(unary(client, client.getMedia, { mediaId: 'welcome.wav' }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('ml-'),
    });
  });

  it('answers UNAVAILABLE naming the media-library when it is down', async () => {
    const nowhere = await startProxy(`127.0.0.1:${await freePort()}`);
    const orphan = new mediaLibrary.MediaLibraryClient(nowhere.server.address, credentials.createInsecure());
    try {
      expect(await statusOf(unary(orphan, orphan.listMedia, { pageSize: 0, pageToken: '' }))).toMatchObject({
        code: status.UNAVAILABLE,
        details: expect.stringContaining('media-library is unavailable'),
      });
      expect(await statusOf(upload(orphan, 'x.wav', Buffer.alloc(10)))).toMatchObject({
        code: status.UNAVAILABLE,
        details: expect.stringContaining('media-library is unavailable'),
      });
    } finally {
      orphan.close();
      await nowhere.server.close();
      nowhere.proxy.close();
    }
  });
});
