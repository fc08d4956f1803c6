// callctl.v1.Recordings over gRPC against the real PostgreSQL (a fresh migrated database) and a directory
// store: metadata with parts and pauses, paged lists, downloads in chunks of at most 64 KiB with the last
// one flagged, and deletes that refuse a running recording and are final otherwise.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { createDb, type PrismaClient } from '@callctl/db';
import { createLogger } from '@callctl/logging';
import { callEvents, recordings } from '@callctl/proto';
import { startGrpcServer, type RunningGrpcServer } from '@callctl/service';
import { createTestDatabase, type TestDatabase } from '@callctl/testing';
import { prismaRecordingRepository } from '../src/adapters/db/prisma-recording-repository.js';
import { recordingsService } from '../src/adapters/grpc/recordings-service.js';
import { spoolFiles } from '../src/adapters/spool/spool-files.js';
import { fsRecordingStore } from '../src/adapters/storage/fs-recording-store.js';
import type { RecordingRecord, RecordingRepository, RecordingStore } from '../src/app/ports.js';
import { RecordingCatalog } from '../src/app/recording-catalog.js';

jest.setTimeout(60_000);

const log = createLogger({ service: 'recordings-api-test', level: 'silent' });
const DEADLINE_MS = 20_000;

let seq = 0;
const newRecordingId = () => `rec-${(++seq).toString(16).padStart(32, 'a')}`;

describe('Recordings API', () => {
  let database: TestDatabase;
  let db: PrismaClient;
  let dir: string;
  let repository: RecordingRepository;
  let store: RecordingStore;
  let server: RunningGrpcServer;
  let client: recordings.RecordingsClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb({ databaseUrl: database.url });
    dir = await mkdtemp(join(tmpdir(), 'recordings-api-'));
    repository = prismaRecordingRepository(db);
    store = fsRecordingStore({ root: join(dir, 'store') });
    const catalog = new RecordingCatalog({ repository, store, spool: spoolFiles(join(dir, 'spool')), log });
    server = await startGrpcServer({ log, port: 0, services: [recordingsService({ catalog, log })] });
    client = new recordings.RecordingsClient(server.address, credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    await db?.$disconnect();
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const unary = <Req, Res>(method: 'getRecording' | 'listRecordings' | 'deleteRecording', request: Req) =>
    new Promise<Res>((resolve, reject) =>
      (
        client[method] as unknown as (
          r: Req,
          o: { deadline: number },
          cb: (e: ServiceError | null, r: Res) => void,
        ) => void
      ).call(client, request, { deadline: Date.now() + DEADLINE_MS }, (error, response) =>
        error ? reject(error) : resolve(response),
      ),
    );
  const get = (recordingId: string) =>
    unary<recordings.GetRecordingRequest, recordings.GetRecordingResponse>('getRecording', { recordingId });
  const list = (callId: string, pageSize: number, pageToken = '') =>
    unary<recordings.ListRecordingsRequest, recordings.ListRecordingsResponse>('listRecordings', {
      callId,
      pageSize,
      pageToken,
    });
  const remove = (recordingId: string) =>
    unary<recordings.DeleteRecordingRequest, recordings.DeleteRecordingResponse>('deleteRecording', {
      recordingId,
    });
  const download = (recordingId: string, part = 0) =>
    new Promise<recordings.DownloadRecordingResponse[]>((resolve, reject) => {
      const messages: recordings.DownloadRecordingResponse[] = [];
      const stream = client.downloadRecording({ recordingId, part }, { deadline: Date.now() + DEADLINE_MS });
      stream.on('data', (m: recordings.DownloadRecordingResponse) => messages.push(m));
      stream.on('error', reject);
      stream.on('end', () => resolve(messages));
    });
  const statusOf = async (promise: Promise<unknown>) => {
    const error = (await promise.then(
      () => undefined,
      (e: unknown) => e,
    )) as ServiceError | undefined;
    if (!error) throw new Error('expected the call to fail');
    return error.code;
  };

  /** A recording as the service leaves it: metadata, and for a saved one its parts stored. */
  async function seed(
    options: { callId?: string; status?: RecordingRecord['status']; parts?: Buffer[]; startedAt?: Date } = {},
  ) {
    const recordingId = newRecordingId();
    const startedAt = options.startedAt ?? new Date();
    const running = options.status === 'recording' || options.status === 'paused';
    const files = options.parts ?? [wavOf(1000)];
    await repository.create(
      {
        recordingId,
        callId: options.callId ?? 'call-api',
        kind: 'call',
        parties: [
          { legId: 'leg-a', sessionId: 's-1', tag: 'a' },
          { legId: 'leg-b', sessionId: 's-1', tag: 'b' },
        ],
        channels: 'dual',
        pauseMode: 'silence',
        maxDurationMs: 0,
        silenceTimeoutMs: 0,
        startDelayMs: 0,
        sampleRate: 8000,
        status: 'recording',
        owner: 'recording-test',
        startedAt,
      },
      {
        recordingId,
        part: 1,
        spoolPath: join(dir, 'spool', recordingId, 'part-1.wav'),
        saved: false,
        partial: false,
        durationMs: 0,
        bytes: 0,
        sha256: '',
        startedAt,
      },
    );
    for (const [i, bytes] of files.entries()) {
      const part = i + 1;
      if (part > 1)
        await repository.addPart({
          recordingId,
          part,
          spoolPath: join(dir, 'spool', recordingId, `part-${part}.wav`),
          saved: false,
          partial: false,
          durationMs: 0,
          bytes: 0,
          sha256: '',
          startedAt,
        });
      if (running) continue;
      const local = join(dir, `${recordingId}-${part}.wav`);
      await writeFile(local, bytes);
      const key = `${recordingId}/part-${part}.wav`;
      await store.put(key, local);
      await repository.updatePart(recordingId, part, {
        storageKey: key,
        saved: true,
        partial: part < files.length,
        durationMs: 1000,
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        endedAt: new Date(startedAt.getTime() + 1000),
      });
    }
    if (options.status === 'paused') await repository.update(recordingId, { status: 'paused' });
    if (!running)
      await repository.update(recordingId, {
        status: options.status ?? 'saved',
        stopReason: 'call_ended',
        endedAt: new Date(startedAt.getTime() + 2000),
      });
    return recordingId;
  }

  it('gives a saved recording with its parts, totals and legs', async () => {
    const files = [wavOf(1000), wavOf(500)];
    const recordingId = await seed({ parts: files });
    await repository.setPauses(recordingId, 1, [
      {
        recordingId,
        part: 1,
        offsetMs: 300,
        durationMs: 200,
        pausedAt: new Date('2026-12-06T07:00:01Z'),
        resumedAt: new Date('2026-12-06T07:00:01.200Z'),
      },
    ]);

    const { recording } = await get(recordingId);
    expect(recording).toMatchObject({
      recordingId,
      callId: 'call-api',
      kind: callEvents.RecordingKind.RECORDING_KIND_CALL,
      legIds: ['leg-a', 'leg-b'],
      legId: '',
      channels: callEvents.RecordingChannels.RECORDING_CHANNELS_DUAL,
      sampleRateHz: 8000,
      status: recordings.RecordingStatus.RECORDING_STATUS_SAVED,
      stopReason: callEvents.RecordingStopReason.RECORDING_STOP_REASON_CALL_ENDED,
      durationMs: 2000,
      bytes: files[0]!.length + files[1]!.length,
    });
    expect(recording!.parts.map((p) => [p.part, p.saved, p.partial])).toEqual([
      [1, true, true],
      [2, true, false],
    ]);
    expect(recording!.parts[1]!.sha256).toBe(createHash('sha256').update(files[1]!).digest('hex'));
    expect(recording!.pauses).toEqual([expect.objectContaining({ part: 1, offsetMs: 300, durationMs: 200 })]);
  });

  it('answers NOT_FOUND for an unknown recording and INVALID_ARGUMENT for a malformed id', async () => {
    expect(await statusOf(get(newRecordingId()))).toBe(status.NOT_FOUND);
    expect(await statusOf(get('rec-nope'))).toBe(status.INVALID_ARGUMENT);
  });

  it('lists a call’s recordings newest first, page by page, and every call’s without a call id', async () => {
    const callId = `call-list-${Date.now()}`;
    const ids = [];
    for (let i = 0; i < 3; i++)
      ids.push(await seed({ callId, startedAt: new Date(Date.UTC(2026, 11, 6, 7, 0, i)) }));

    const first = await list(callId, 2);
    expect(first.recordings.map((r) => r.recordingId)).toEqual([ids[2], ids[1]]);
    expect(first.nextPageToken).not.toBe('');
    const second = await list(callId, 2, first.nextPageToken);
    expect(second.recordings.map((r) => r.recordingId)).toEqual([ids[0]]);
    expect(second.nextPageToken).toBe('');

    const everything = await list('', 0);
    expect(everything.recordings.map((r) => r.recordingId)).toEqual(expect.arrayContaining(ids));
    expect(await statusOf(list(callId, 501))).toBe(status.INVALID_ARGUMENT);
  });

  it('downloads a part in chunks of at most 64 KiB, in order, the last one flagged', async () => {
    // 200 044 bytes: four chunks, the last one short.
    const files = [wavOf(100_000), wavOf(100)];
    const recordingId = await seed({ parts: files });

    const messages = await download(recordingId);
    expect(messages.length).toBe(4);
    expect(messages.every((m) => m.chunk.length <= 64 * 1024)).toBe(true);
    expect(messages.map((m) => m.last)).toEqual([false, false, false, true]);
    expect(Buffer.concat(messages.map((m) => m.chunk)).equals(files[0]!)).toBe(true);

    const second = await download(recordingId, 2);
    expect(second.map((m) => m.last)).toEqual([true]);
    expect(Buffer.concat(second.map((m) => m.chunk)).equals(files[1]!)).toBe(true);
  });

  it('refuses to download a running recording, and a part or recording that does not exist', async () => {
    const running = await seed({ status: 'recording' });
    expect(await statusOf(download(running))).toBe(status.FAILED_PRECONDITION);
    const saved = await seed();
    expect(await statusOf(download(saved, 2))).toBe(status.NOT_FOUND);
    expect(await statusOf(download(newRecordingId()))).toBe(status.NOT_FOUND);
  });

  it('refuses to delete a running recording, deletes a saved one with its files, and deletes again OK', async () => {
    const paused = await seed({ status: 'paused' });
    expect(await statusOf(remove(paused))).toBe(status.FAILED_PRECONDITION);
    expect((await get(paused)).recording?.status).toBe(recordings.RecordingStatus.RECORDING_STATUS_PAUSED);

    const saved = await seed({ parts: [wavOf(100), wavOf(100)] });
    expect(await readdir(join(dir, 'store', saved))).toHaveLength(2);
    await remove(saved);
    expect(await statusOf(get(saved))).toBe(status.NOT_FOUND);
    expect(await statusOf(download(saved))).toBe(status.NOT_FOUND);
    await expect(readdir(join(dir, 'store', saved))).rejects.toMatchObject({ code: 'ENOENT' });
    await remove(saved);
  });
});

/** A mono 8 kHz 16-bit WAV of `samples` samples (a ramp, so that order mistakes show). */
function wavOf(samples: number): Buffer {
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE((i * 37) % 30000, i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
