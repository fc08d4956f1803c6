// The MediaLibrary client against a real grpc-js server in this test that keeps the library in memory and
// checks what the contract says (metadata first, a name, audio bytes sniffed, a size limit); each case can
// script a refusal instead.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerReadableStream,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import { mediaLibrary } from '@callctl/proto';
import { GrpcStatusError } from '@callctl/errors/grpc';
import {
  chunksOf,
  createMediaLibraryClient,
  UPLOAD_CHUNK_BYTES,
  type MediaLibraryClient,
} from './media-library-client';

const SIZE_LIMIT = 1024 * 1024;
const KiB = 1024;

/** A WAV header then `bytes` of silence: enough for the server's sniffing. */
function wav(bytes: number): Buffer {
  const file = Buffer.alloc(44 + bytes);
  file.write('RIFF', 0, 'ascii');
  file.writeUInt32LE(36 + bytes, 4);
  file.write('WAVE', 8, 'ascii');
  return file;
}
/** Distinct bytes, so a reordered or dropped chunk shows. */
const numbered = (file: Buffer) => (file.forEach((_, i) => i >= 12 && (file[i] = i % 251)), file);

interface Upload {
  messages: Array<'metadata' | number>;
  bytes: Buffer;
  cancelled: boolean;
}
type Refusal = { code: status; details: string };
const refuse = (code: status, details: string): Refusal => ({ code, details });

class InMemoryMediaLibrary {
  readonly files = new Map<string, { info: mediaLibrary.MediaInfo; bytes: Buffer }>();
  readonly uploads: Upload[] = [];
  readonly calls: string[] = [];
  /** Refusals to answer instead, by method, in order. */
  readonly refusals = new Map<string, Refusal[]>();
  /** UploadMedia never answers (deadline test). */
  silentUpload = false;
  private next = 1;
  private server = new Server();
  port = 0;

  private scripted(method: string): Refusal | undefined {
    this.calls.push(method);
    return this.refusals.get(method)?.shift();
  }

  async start() {
    const implementation: mediaLibrary.MediaLibraryServer = {
      uploadMedia: (
        stream: ServerReadableStream<mediaLibrary.UploadMediaRequest, mediaLibrary.UploadMediaResponse>,
        callback: sendUnaryData<mediaLibrary.UploadMediaResponse>,
      ) => {
        const upload: Upload = { messages: [], bytes: Buffer.alloc(0), cancelled: false };
        this.uploads.push(upload);
        const refusal = this.scripted('uploadMedia');
        if (refusal) return callback(refusal);
        const chunks: Buffer[] = [];
        let name: string | undefined;
        let size = 0;
        let done = false;
        const finish = (error: Refusal | null, response?: mediaLibrary.UploadMediaResponse) => {
          if (done) return;
          done = true;
          upload.bytes = Buffer.concat(chunks);
          if (!this.silentUpload) callback(error, response);
        };
        stream.on('cancelled', () => ((upload.cancelled = true), (done = true)));
        stream.on('data', (message: mediaLibrary.UploadMediaRequest) => {
          if (done) return;
          const part = message.part;
          if (upload.messages.length === 0 && part?.$case !== 'metadata')
            return finish(refuse(status.INVALID_ARGUMENT, 'the first message must carry the metadata'));
          if (part?.$case === 'metadata') {
            upload.messages.push('metadata');
            name = part.metadata.name;
            if (!name) finish(refuse(status.INVALID_ARGUMENT, 'name is required'));
          } else if (part?.$case === 'chunk') {
            upload.messages.push(part.chunk.length);
            chunks.push(part.chunk);
            size += part.chunk.length;
            if (size > SIZE_LIMIT)
              finish(
                refuse(status.INVALID_ARGUMENT, `the file is over the size limit of ${SIZE_LIMIT} bytes`),
              );
          }
        });
        stream.on('end', () => {
          const bytes = Buffer.concat(chunks);
          if (
            bytes.subarray(0, 4).toString('latin1') !== 'RIFF' ||
            bytes.subarray(8, 12).toString('latin1') !== 'WAVE'
          )
            return finish(refuse(status.INVALID_ARGUMENT, 'the bytes are not audio ffmpeg can read'));
          const info = mediaLibrary.MediaInfo.fromPartial({
            mediaId: `m${this.next++}`,
            name,
            uploadedFormat: 'wav',
            uploadedBytes: bytes.length,
            durationMs: Math.round((bytes.length - 44) / 16),
            sampleRateHz: 8000,
            createdAt: new Date(),
          });
          this.files.set(info.mediaId, { info, bytes });
          finish(null, { media: info });
        });
      },
      listMedia: (
        call: ServerUnaryCall<mediaLibrary.ListMediaRequest, mediaLibrary.ListMediaResponse>,
        callback,
      ) => {
        const refusal = this.scripted('listMedia');
        if (refusal) return callback(refusal);
        const all = [...this.files.values()].map((f) => f.info).reverse();
        const from = Number(call.request.pageToken || '0');
        const size = call.request.pageSize || 100;
        const page = all.slice(from, from + size);
        callback(null, { media: page, nextPageToken: from + size < all.length ? String(from + size) : '' });
      },
      getMedia: (
        call: ServerUnaryCall<mediaLibrary.GetMediaRequest, mediaLibrary.GetMediaResponse>,
        callback,
      ) => {
        const refusal = this.scripted('getMedia');
        if (refusal) return callback(refusal);
        const file = this.files.get(call.request.mediaId);
        if (!file) return callback(refuse(status.NOT_FOUND, `no media ${call.request.mediaId}`));
        callback(null, { media: file.info });
      },
      deleteMedia: (
        call: ServerUnaryCall<mediaLibrary.DeleteMediaRequest, mediaLibrary.DeleteMediaResponse>,
        callback,
      ) => {
        const refusal = this.scripted('deleteMedia');
        if (refusal) return callback(refusal);
        this.files.delete(call.request.mediaId);
        callback(null, {});
      },
    };
    this.server.addService(mediaLibrary.MediaLibraryService, implementation);
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
  }

  stop() {
    this.server.forceShutdown();
  }
}

describe('MediaLibrary client', () => {
  const library = new InMemoryMediaLibrary();
  let client: MediaLibraryClient;
  let dir: string;

  beforeAll(async () => {
    await library.start();
    client = createMediaLibraryClient({
      address: `127.0.0.1:${library.port}`,
      retry: { initialBackoffMs: 10, maxBackoffMs: 20 },
    });
    dir = mkdtempSync(join(tmpdir(), 'media-client-'));
  });
  afterAll(() => {
    client.close();
    library.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    library.files.clear();
    library.uploads.length = 0;
    library.calls.length = 0;
    library.refusals.clear();
    library.silentUpload = false;
  });

  it('uploads a buffer as metadata then chunks of at most 256 KiB, in order, and returns the MediaInfo', async () => {
    const file = numbered(wav(600 * KiB));
    const { media } = await client.uploadMedia({ name: 'welcome.wav', data: file });
    expect(media).toMatchObject({ mediaId: 'm1', name: 'welcome.wav', uploadedFormat: 'wav' });
    expect(library.uploads[0]!.messages).toEqual([
      'metadata',
      UPLOAD_CHUNK_BYTES,
      UPLOAD_CHUNK_BYTES,
      file.length - 2 * UPLOAD_CHUNK_BYTES,
    ]);
    expect(library.uploads[0]!.bytes.equals(file)).toBe(true);
  });

  it('uploads from a file stream, cutting its reads into chunks of at most 256 KiB', async () => {
    const file = numbered(wav(900 * KiB));
    const path = join(dir, 'prompt.wav');
    writeFileSync(path, file);
    const { media } = await client.uploadMedia({
      name: 'prompt.wav',
      data: createReadStream(path, { highWaterMark: 300 * KiB }),
    });
    expect(media?.uploadedBytes).toBe(file.length);
    const { messages, bytes } = library.uploads[0]!;
    expect(messages[0]).toBe('metadata');
    expect(messages.slice(1).every((size) => typeof size === 'number' && size <= UPLOAD_CHUNK_BYTES)).toBe(
      true,
    );
    expect(bytes.equals(file)).toBe(true);
  });

  it("rejects with the server's refusal: not audio, and over the size limit (sending stops)", async () => {
    const text = Buffer.from('this is a text file renamed .wav\n'.repeat(100));
    await expect(client.uploadMedia({ name: 'notes.wav', data: text })).rejects.toMatchObject({
      kind: 'invalid_argument',
      code: 'INVALID_ARGUMENT',
      details: 'the bytes are not audio ffmpeg can read',
      context: { rpc: 'UploadMedia' },
    });
    // 2x the limit from a source that would go on: the refusal ends the upload before the source does.
    let produced = 0;
    async function* endless() {
      for (;;) {
        produced += 128 * KiB;
        yield Buffer.alloc(128 * KiB, 1);
      }
    }
    await expect(client.uploadMedia({ name: 'big.wav', data: endless() })).rejects.toMatchObject({
      kind: 'invalid_argument',
      details: `the file is over the size limit of ${SIZE_LIMIT} bytes`,
    });
    expect(produced).toBeLessThan(64 * SIZE_LIMIT);
    expect(library.files.size).toBe(0);
  });

  it('never retries an upload, even on UNAVAILABLE', async () => {
    library.refusals.set('uploadMedia', [refuse(status.UNAVAILABLE, 'media-library down')]);
    await expect(client.uploadMedia({ name: 'a.wav', data: wav(1000) })).rejects.toMatchObject({
      kind: 'unavailable',
      details: 'media-library down',
    });
    expect(library.calls.filter((m) => m === 'uploadMedia')).toHaveLength(1);
    expect(library.files.size).toBe(0);
  });

  it('cancels the upload and rejects with the source error when reading the data fails', async () => {
    async function* failing() {
      yield wav(1000);
      throw new Error('disk read failed');
    }
    await expect(client.uploadMedia({ name: 'a.wav', data: failing() })).rejects.toThrow('disk read failed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(library.files.size).toBe(0);
  });

  it('gives up on an upload the server never answers at the deadline', async () => {
    library.silentUpload = true;
    await expect(
      client.uploadMedia({ name: 'a.wav', data: wav(1000) }, { deadlineMs: 300 }),
    ).rejects.toMatchObject({ kind: 'deadline_exceeded', status: status.DEADLINE_EXCEEDED });
  });

  it('lists newest first with pages, gets one file, deletes it (twice is OK) and then it is NOT_FOUND', async () => {
    for (const name of ['a.wav', 'b.wav', 'c.wav']) await client.uploadMedia({ name, data: wav(1000) });
    const first = await client.listMedia({ pageSize: 2 });
    expect(first.media.map((m) => m.name)).toEqual(['c.wav', 'b.wav']);
    const second = await client.listMedia({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second).toMatchObject({ media: [{ name: 'a.wav' }], nextPageToken: '' });

    const id = first.media[0]!.mediaId;
    await expect(client.getMedia({ mediaId: id })).resolves.toMatchObject({
      media: { mediaId: id, name: 'c.wav' },
    });
    await expect(client.deleteMedia({ mediaId: id })).resolves.toEqual({});
    await expect(client.deleteMedia({ mediaId: id })).resolves.toEqual({});
    const gone = client.getMedia({ mediaId: id });
    await expect(gone).rejects.toBeInstanceOf(GrpcStatusError);
    await expect(gone).rejects.toMatchObject({
      kind: 'not_found',
      details: `no media ${id}`,
      context: { rpc: 'GetMedia' },
    });
  });

  it('retries the reads and DeleteMedia on UNAVAILABLE, and nothing on another status', async () => {
    library.refusals.set('getMedia', [refuse(status.UNAVAILABLE, 'restarting')]);
    library.refusals.set('deleteMedia', [refuse(status.UNAVAILABLE, 'restarting')]);
    library.refusals.set('listMedia', [refuse(status.INTERNAL, 'internal error')]);
    await expect(client.getMedia({ mediaId: 'nope' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(client.deleteMedia({ mediaId: 'nope' })).resolves.toEqual({});
    await expect(client.listMedia({})).rejects.toMatchObject({ kind: 'internal' });
    expect(library.calls).toEqual(['getMedia', 'getMedia', 'deleteMedia', 'deleteMedia', 'listMedia']);
  });
});

describe('chunksOf', () => {
  it('cuts pieces to the maximum without losing or copying bytes, and skips empty ones', async () => {
    const whole = Buffer.from([1, 2, 3, 4, 5, 6, 7]);
    async function* pieces() {
      yield whole.subarray(0, 5);
      yield new Uint8Array(0);
      yield whole.subarray(5);
    }
    const out: Buffer[] = [];
    for await (const chunk of chunksOf(pieces(), 2)) out.push(chunk);
    expect(out.map((c) => [...c])).toEqual([[1, 2], [3, 4], [5], [6, 7]]);
    expect(out[0]!.buffer).toBe(whole.buffer);
  });
});
