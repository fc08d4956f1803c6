// The media library against real PostgreSQL (a fresh migrated database) and real ffmpeg: uploads in several
// formats come back as the WAV rtpengine plays best, with their tone intact; bad uploads are refused and
// leave nothing behind; listing pages; deletes are final for players.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { createLogger } from '@callctl/logging';
import { createDb, type PrismaClient } from '@callctl/db';
import {
  createTestDatabase,
  makeToneFile,
  requireBinary,
  toneRatio,
  type TestDatabase,
} from '@callctl/testing';
import { startMediaLibrary, type RunningMediaLibrary } from '../src/media-library.js';
import { LibraryTestClient, UPLOAD_CHUNK_BYTES, wavSamples } from './support/library-client.js';

jest.setTimeout(60_000);

/** Small, so that a test can go over it cheaply. */
const MAX_BYTES = 256 * 1024;
const TONE_HZ = 1000;
/** toneRatio assumes 8 kHz samples: at 16 kHz a tone of f Hz sits where f/2 would at 8 kHz. */
const TONE_RATIO_RATE_HZ = 8000;
const ratioAt = (samples: number[], rateHz: number, hz: number) =>
  toneRatio(samples, (hz * TONE_RATIO_RATE_HZ) / rateHz);

const log = createLogger({ service: 'media-library-test', level: 'silent' });

describe('media library', () => {
  let database: TestDatabase;
  let db: PrismaClient;
  let dir: string;
  let workDir: string;
  let service: RunningMediaLibrary;
  let client: LibraryTestClient;
  const ffmpeg = requireBinary('ffmpeg', 'ffmpeg');
  const sox = requireBinary('sox', 'sox');

  /** A sine made by sox: `seconds` long at `rateHz`, `channels` channels. */
  const tone = (name: string, seconds: number, rateHz: number, channels = 1) =>
    makeToneFile(dir, name, seconds, TONE_HZ, { rateHz, channels });
  const encode = (from: string, to: string, codec: string) => {
    const file = join(dir, to);
    execFileSync(ffmpeg, ['-v', 'error', '-y', '-i', from, '-c:a', codec, file]);
    return file;
  };
  const statusOf = async (promise: Promise<unknown>) => {
    const error = (await promise.then(
      () => undefined,
      (e: unknown) => e,
    )) as ServiceError | undefined;
    if (!error) throw new Error('expected the call to fail');
    return { code: error.code, details: error.details };
  };
  /** Fetches a file and reads its WAV. */
  const fetched = async (mediaId: string) => {
    const messages = await client.fetch(mediaId);
    const wav = Buffer.concat(messages.map((m) => m.chunk));
    return { messages, wav, ...wavSamples(wav) };
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb({ databaseUrl: database.url });
    dir = await mkdtemp(join(tmpdir(), 'media-library-test-'));
    workDir = await mkdtemp(join(tmpdir(), 'media-library-work-'));
    service = await startMediaLibrary({
      log,
      db,
      grpc: { host: '127.0.0.1', port: 0 },
      upload: { maxBytes: MAX_BYTES, timeoutMs: 30_000 },
      tools: { workDir, timeoutMs: 20_000 },
    });
    client = new LibraryTestClient(service.grpc.address);
  });
  afterAll(async () => {
    client?.close();
    await service?.close();
    await db?.$disconnect();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('stores a narrowband WAV as 8 kHz 16-bit mono, its tone and length intact', async () => {
    const source = await readFile(tone('narrow.wav', 1.5, 8000));
    const { media } = await client.upload('welcome.wav', source);
    expect(media).toMatchObject({
      name: 'welcome.wav',
      uploadedFormat: 'wav',
      uploadedBytes: source.length,
      sampleRateHz: 8000,
    });
    expect(media?.mediaId).toMatch(/^ml-[0-9a-f]{32}$/);
    expect(Math.abs((media?.durationMs ?? 0) - 1500)).toBeLessThanOrEqual(50);

    const stored = await fetched(media!.mediaId);
    expect(stored).toMatchObject({ sampleRateHz: 8000, channels: 1, bits: 16 });
    expect(Math.abs((stored.samples.length * 1000) / 8000 - 1500)).toBeLessThanOrEqual(50);
    expect(ratioAt(stored.samples, 8000, TONE_HZ)).toBeGreaterThan(0.8);
    expect(ratioAt(stored.samples, 8000, 1700)).toBeLessThan(0.05);
  });

  it('stores an MP3 of a 44.1 kHz stereo source as 16 kHz mono, its tone and length intact', async () => {
    const source = await readFile(encode(tone('wide.wav', 2, 44_100, 2), 'wide.mp3', 'libmp3lame'));
    // The name says WAV; the bytes say MP3, and the bytes win.
    const { media } = await client.upload('misnamed.wav', source);
    expect(media).toMatchObject({
      uploadedFormat: 'mp3',
      uploadedBytes: source.length,
      sampleRateHz: 16_000,
    });
    expect(Math.abs((media?.durationMs ?? 0) - 2000)).toBeLessThanOrEqual(50);

    const stored = await fetched(media!.mediaId);
    expect(stored).toMatchObject({ sampleRateHz: 16_000, channels: 1, bits: 16 });
    expect(Math.abs((stored.samples.length * 1000) / 16_000 - 2000)).toBeLessThanOrEqual(50);
    expect(ratioAt(stored.samples, 16_000, TONE_HZ)).toBeGreaterThan(0.8);
    expect(ratioAt(stored.samples, 16_000, 1700)).toBeLessThan(0.05);
  });

  it.each([
    ['ogg', 'libvorbis', 'tone.ogg'],
    ['flac', 'flac', 'tone.flac'],
  ])('sniffs %s from its magic bytes and converts it', async (format, codec, file) => {
    const source = await readFile(encode(tone(`${format}.wav`, 1, 16_000), file, codec));
    const { media } = await client.upload('prompt', source);
    expect(media).toMatchObject({ uploadedFormat: format, sampleRateHz: 16_000 });
    const stored = await fetched(media!.mediaId);
    expect(ratioAt(stored.samples, 16_000, TONE_HZ)).toBeGreaterThan(0.8);
  });

  it('takes a format it cannot sniff (AAC in MP4) from ffprobe', async () => {
    const source = await readFile(encode(tone('aac.wav', 1, 16_000), 'tone.m4a', 'aac'));
    const { media } = await client.upload('prompt.m4a', source);
    expect(media).toMatchObject({ uploadedFormat: 'mov', sampleRateHz: 16_000 });
    const stored = await fetched(media!.mediaId);
    expect(ratioAt(stored.samples, 16_000, TONE_HZ)).toBeGreaterThan(0.8);
  });

  it('refuses a playlist that points at a file on this host (ffmpeg may open only the upload)', async () => {
    // Without the demuxer whitelist ffmpeg would read this MP3 through the playlist and store it.
    const local = encode(tone('local.wav', 1, 8000), 'local.mp3', 'libmp3lame');
    const playlist = Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n${local}\n#EXT-X-ENDLIST\n`);
    expect(await statusOf(client.upload('list.m3u8', playlist))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/not audio/),
    });
  });

  it('streams the stored WAV in chunks of at most 64 KiB, the first one carrying size and length', async () => {
    const { media } = await client.upload('long.wav', await readFile(tone('long.wav', 8, 16_000)));
    const { messages, wav } = await fetched(media!.mediaId);
    expect(messages.length).toBeGreaterThan(1);
    expect(Math.max(...messages.map((m) => m.chunk.length))).toBeLessThanOrEqual(64 * 1024);
    expect(messages[0]).toMatchObject({ totalBytes: wav.length, durationMs: media!.durationMs });
    expect(messages.slice(1).every((m) => m.totalBytes === 0)).toBe(true);
  });

  it('refuses a text file named .wav as not audio and stores nothing', async () => {
    const before = await db.mediaFile.count();
    const text = Buffer.from('This is a text file pretending to be a prompt.\n'.repeat(40));
    expect(await statusOf(client.upload('prompt.wav', text))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/not audio/),
    });
    expect(await db.mediaFile.count()).toBe(before);
  });

  it('refuses an upload of twice the size limit, naming the limit, and stores nothing', async () => {
    const before = await db.mediaFile.count();
    const big = await readFile(tone('big.wav', (2 * MAX_BYTES) / 2 / 8000, 8000));
    expect(big.length).toBeGreaterThanOrEqual(2 * MAX_BYTES);
    expect(await statusOf(client.upload('big.wav', big))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining(String(MAX_BYTES)),
    });
    expect(await db.mediaFile.count()).toBe(before);
    expect(await db.mediaContent.count()).toBe(await db.mediaFile.count({ where: { deletedAt: null } }));
  });

  it('refuses a small upload that decodes to more than the stored limit (an hour of silence), and stores nothing', async () => {
    const before = await db.mediaFile.count();
    const file = join(dir, 'hour-of-silence.flac');
    // -D: no dither, so the silence stays digital silence (a few bytes per FLAC frame).
    execFileSync(sox, ['-D', '-n', '-r', '16000', '-c', '1', '-b', '16', file, 'trim', '0', '3600']);
    const flac = await readFile(file);
    expect(flac.length).toBeLessThan(MAX_BYTES); // accepted as an upload; 115 MB once decoded
    expect(await statusOf(client.upload('silence.flac', flac))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/too long.*20971520 bytes/),
    });
    expect(await db.mediaFile.count()).toBe(before);
    expect(await readdir(workDir)).toEqual([]);
  });

  it.each([
    ['no metadata first', undefined, /first message must carry the metadata/],
    ['an empty name', '', /name is required/],
    ['a name over 200 characters', 'x'.repeat(201), /longer than 200/],
  ])('refuses an upload with %s', async (_, name, message) => {
    expect(await statusOf(client.upload(name, Buffer.alloc(100)))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(message),
    });
  });

  it('leaves no temporary file behind, after successes and refusals alike', async () => {
    expect(await readdir(workDir)).toEqual([]);
  });

  it('lists newest first, in pages that chain by token', async () => {
    const source = await readFile(tone('page.wav', 0.2, 8000));
    const ids: string[] = [];
    for (const name of ['first', 'second', 'third'])
      ids.push((await client.upload(name, source)).media!.mediaId);
    const all: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await client.list(2, token);
      expect(page.media.length).toBeLessThanOrEqual(2);
      all.push(...page.media.map((m) => m.mediaId));
      token = page.nextPageToken;
      pages++;
    } while (token);
    const total = await db.mediaFile.count({ where: { deletedAt: null } });
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    expect(pages).toBe(Math.ceil(total / 2));
    // Newest first: the three just uploaded open the list, the last one first.
    expect(all.slice(0, 3)).toEqual([...ids].reverse());
    const first = await client.list(0);
    expect(first.media.map((m) => m.mediaId)).toEqual(all.slice(0, 100));
    expect(first.media[0]?.createdAt).toBeInstanceOf(Date);
  });

  it.each([
    ['page_size 501', 501, '', /page_size must be 1-500/],
    ['a token it did not make', 10, 'bm90LWEtdG9rZW4', /page_token/],
  ])('refuses a list with %s', async (_, size, token, message) => {
    expect(await statusOf(client.list(size, token))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(message),
    });
  });

  it('gets a file by id, and refuses a malformed id', async () => {
    const { media } = await client.upload('get-me', await readFile(tone('get.wav', 0.3, 8000)));
    expect((await client.get(media!.mediaId)).media).toEqual(media);
    expect(await statusOf(client.get('welcome.wav'))).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await statusOf(client.get(`ml-${'0'.repeat(32)}`))).toMatchObject({ code: status.NOT_FOUND });
  });

  it('deletes: get and fetch answer NOT_FOUND, a second delete is OK, the list no longer shows it', async () => {
    const { media } = await client.upload('doomed', await readFile(tone('doomed.wav', 0.3, 8000)));
    const id = media!.mediaId;
    await client.delete(id);
    expect(await statusOf(client.get(id))).toMatchObject({
      code: status.NOT_FOUND,
      details: expect.stringContaining(id),
    });
    expect(await statusOf(client.fetch(id))).toMatchObject({ code: status.NOT_FOUND });
    await expect(client.delete(id)).resolves.toEqual({});
    expect((await client.list(500)).media.map((m) => m.mediaId)).not.toContain(id);
    // The bytes are gone; the metadata row stays, marked deleted, so the id is never handed out again.
    expect(await db.mediaContent.count({ where: { mediaId: id } })).toBe(0);
    expect((await db.mediaFile.findUnique({ where: { mediaId: id } }))?.deletedAt).toBeInstanceOf(Date);
    expect(await statusOf(client.delete(`ml-${'1'.repeat(32)}`))).toMatchObject({ code: status.NOT_FOUND });
  });

  it('runs uploads beyond its conversion slots in turn, each one stored', async () => {
    const single = await startMediaLibrary({
      log,
      db,
      grpc: { host: '127.0.0.1', port: 0 },
      upload: { maxBytes: MAX_BYTES, timeoutMs: 30_000 },
      tools: { workDir, timeoutMs: 20_000, concurrency: 1 },
    });
    const queued = new LibraryTestClient(single.grpc.address);
    try {
      const source = await readFile(tone('queued.wav', 0.5, 8000));
      const uploads = await Promise.all([1, 2, 3].map((n) => queued.upload(`queued-${n}`, source)));
      const ids = uploads.map((u) => u.media!.mediaId);
      expect(new Set(ids).size).toBe(3);
      for (const id of ids) expect((await queued.get(id)).media?.durationMs).toBe(500);
    } finally {
      queued.close();
      await single.close();
    }
  });

  it('gives up an upload that stops sending, with DEADLINE_EXCEEDED, and stores nothing', async () => {
    const impatient = await startMediaLibrary({
      log,
      db,
      grpc: { host: '127.0.0.1', port: 0 },
      upload: { maxBytes: MAX_BYTES, timeoutMs: 500 },
      tools: { workDir, timeoutMs: 20_000 },
    });
    const stalling = new LibraryTestClient(impatient.grpc.address);
    try {
      const before = await db.mediaFile.count();
      const half = (await readFile(tone('stall.wav', 1, 8000))).subarray(0, UPLOAD_CHUNK_BYTES);
      expect(await statusOf(stalling.upload('stall.wav', half, { stall: true }))).toMatchObject({
        code: status.DEADLINE_EXCEEDED,
        details: expect.stringContaining('500 ms'),
      });
      expect(await db.mediaFile.count()).toBe(before);
    } finally {
      stalling.close();
      await impatient.close();
    }
  });
});
