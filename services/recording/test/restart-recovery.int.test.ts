// Restart recovery of the whole service in-process, against the real PostgreSQL, a directory store, NATS,
// and a real media-worker over rtpengine: the recordings an earlier run of this instance left unfinished
// are found at start, their spool files repaired and stored as partial parts; a recording whose call is
// still up goes on in part 2 (forked again under the same fork id) and its audio lands there; one whose
// session is gone ends (media ended); a spool file that is not a WAV fails the recording; another
// instance's recordings are left alone.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { connectBus, subscribeMessages, type NatsConnection } from '@callctl/bus';
import { createDb, type PrismaClient } from '@callctl/db';
import { createLogger } from '@callctl/logging';
import { callEvents, facts, recorder, recordings } from '@callctl/proto';
import { buildWavHeader } from '@callctl/rtp';
import { createTestDatabase, toneRatio, waitFor, type TestDatabase } from '@callctl/testing';
import { prismaRecordingRepository } from '../src/adapters/db/prisma-recording-repository.js';
import { fsRecordingStore } from '../src/adapters/storage/fs-recording-store.js';
import type { RecordingParty, RecordingRepository } from '../src/app/ports.js';
import { createRecorderEngine } from '../src/app/recorder-engine.js';
import { startRecordingService, type RunningRecordingService } from '../src/recording-service.js';
import { grpcCall as call, startMediaStack, type MediaStack } from '@callctl/testing';
import { SERVICE_NODE_FLAGS } from '@callctl/service';
import { channelsOf } from './support/wav-channels.js';

jest.setTimeout(90_000);

const log = createLogger({ service: 'restart-recovery-test', level: 'silent' });
const INSTANCE = 'recording-restart-test';
const newRecordingId = () => `rec-${randomBytes(16).toString('hex')}`;

describe('restart recovery', () => {
  let dir: string;
  let spoolDir: string;
  let stack: MediaStack;
  let database: TestDatabase;
  let db: PrismaClient;
  let repository: RecordingRepository;
  let nc: NatsConnection;
  let service: RunningRecordingService | undefined;
  const seen: facts.RecordingFact[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recording-restart-'));
    spoolDir = join(dir, 'spool');
    stack = await startMediaStack(dir, { nodeFlags: SERVICE_NODE_FLAGS });
    database = await createTestDatabase();
    db = createDb({ databaseUrl: database.url });
    repository = prismaRecordingRepository(db);
    nc = await connectBus({ servers: stack.nats.url, name: 'restart-recovery-test' });
    const subscription = subscribeMessages(nc, 'facts.recording.>', facts.RecordingFact);
    void (async () => {
      for await (const message of subscription) seen.push(message.data);
    })();
    await nc.flush();
  });
  afterAll(async () => {
    await service?.close();
    await nc?.close();
    await db?.$disconnect();
    await database?.drop();
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const startService = () =>
    startRecordingService({
      log,
      repository,
      engine: createRecorderEngine({ host: '127.0.0.1', idleMs: 1000 }),
      store: fsRecordingStore({ root: join(dir, 'store') }),
      nats: nc,
      facts: { giveUpAfterMs: 30_000, attemptTimeoutMs: 2000 },
      mediaWorker: { address: stack.workerAddress, timeoutMs: 5000 },
      rtpHost: '127.0.0.1',
      spoolDir,
      instance: INSTANCE,
      storeRetries: { attempts: 3, retryDelayMs: 100, timeoutMs: 10_000 },
      grpc: { host: '127.0.0.1', port: 0 },
    });

  /**
   * A spool file as a killed writer leaves it: the header's sizes still 0, then the samples and half a
   * frame (a write cut short). `closed`: as a writer that closed it leaves it.
   */
  async function crashedSpool(recordingId: string, seconds: number, hz: number, closed = false) {
    const channels = 2;
    const path = join(spoolDir, recordingId, 'part-1.wav');
    await mkdir(join(spoolDir, recordingId), { recursive: true });
    const frames = seconds * 8000;
    const data = Buffer.alloc(frames * channels * 2);
    for (let i = 0; i < frames; i++)
      for (let c = 0; c < channels; c++)
        data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000)), (i * channels + c) * 2);
    const header = buildWavHeader({ sampleRate: 8000, channels }, closed ? data.length : 0);
    await writeFile(path, Buffer.concat([header, data, Buffer.alloc(closed ? 0 : 1)]));
    return path;
  }

  /** An unfinished recording of `owner` in the metadata, as a run killed while recording leaves it. */
  async function unfinished(options: {
    parties: RecordingParty[];
    spoolPath: string;
    owner?: string;
    stopReason?: 'requested';
  }) {
    const recordingId = options.spoolPath.split('/').at(-2)!;
    const startedAt = new Date(Date.now() - 5000);
    await repository.create(
      {
        recordingId,
        callId: `call-${recordingId.slice(4, 12)}`,
        kind: 'call',
        parties: options.parties,
        channels: 'dual',
        pauseMode: 'silence',
        maxDurationMs: 0,
        silenceTimeoutMs: 0,
        startDelayMs: 0,
        sampleRate: 8000,
        status: 'recording',
        owner: options.owner ?? INSTANCE,
        startedAt,
      },
      {
        recordingId,
        part: 1,
        spoolPath: options.spoolPath,
        saved: false,
        partial: false,
        durationMs: 0,
        bytes: 0,
        sha256: '',
        startedAt,
      },
    );
    if (options.stopReason) await repository.update(recordingId, { stopReason: options.stopReason });
    return recordingId;
  }

  const factsOf = (recordingId: string) => seen.filter((f) => f.recordingId === recordingId);
  const partySet = (sessionId: string): RecordingParty[] => [
    { legId: 'leg-caller', sessionId, tag: 'caller' },
    { legId: 'leg-callee', sessionId, tag: 'callee' },
  ];

  it('stores what was written, and goes on in part 2 or ends, as the media allows', async () => {
    // Recording 1: its call is still up; both parties send tones.
    const live = await stack.connectedCall();
    live.caller.startTone(700);
    live.callee.startTone(1300);
    const goesOn = await unfinished({
      parties: partySet(live.sessionId),
      spoolPath: await crashedSpool(newRecordingId(), 1, 500),
    });
    // Recording 2: its session is gone.
    const ends = await unfinished({
      parties: partySet('session-gone'),
      spoolPath: await crashedSpool(newRecordingId(), 1, 500),
    });
    // Recording 3: its spool file is not a WAV.
    const brokenPath = join(spoolDir, newRecordingId(), 'part-1.wav');
    await mkdir(join(brokenPath, '..'), { recursive: true });
    await writeFile(brokenPath, 'not a wav at all');
    const broken = await unfinished({ parties: partySet('session-gone'), spoolPath: brokenPath });
    // Recording 4: stopped, its file closed, killed before it was stored.
    const stoppedPath = await crashedSpool(newRecordingId(), 1, 500, true);
    const stopped = await unfinished({
      parties: partySet('session-gone'),
      spoolPath: stoppedPath,
      stopReason: 'requested',
    });
    // Recording 5: another instance's.
    const others = await unfinished({
      parties: partySet('session-gone'),
      spoolPath: await crashedSpool(newRecordingId(), 1, 500),
      owner: 'someone-else',
    });

    service = await startService();
    expect(Object.fromEntries(service.recovered.map((r) => [r.recordingId, r.outcome]))).toEqual({
      [goesOn]: 'continued',
      [ends]: 'ended',
      [broken]: 'failed',
      [stopped]: 'ended',
    });

    const client = new recordings.RecordingsClient(service.grpc.address, credentials.createInsecure());
    const recorderClient = new recorder.RecorderClient(service.grpc.address, credentials.createInsecure());
    const get = async (recordingId: string) =>
      (
        await call<recordings.GetRecordingRequest, recordings.GetRecordingResponse>(
          client.getRecording.bind(client),
          { recordingId },
        )
      ).recording!;
    const download = (recordingId: string, part: number) =>
      new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const stream = client.downloadRecording({ recordingId, part });
        stream.on('data', (m: recordings.DownloadRecordingResponse) => chunks.push(Buffer.from(m.chunk)));
        stream.on('error', reject);
        stream.on('end', () => resolve(Buffer.concat(chunks)));
      });
    try {
      // Ended: part 1 saved and partial, media ended reported before the final part.
      await waitFor('facts of the ended recording', () => factsOf(ends).length >= 2, 20_000);
      expect(factsOf(ends).map((f) => f.fact?.$case)).toEqual(['recorderStopped', 'recordingPartSaved']);
      expect(factsOf(ends)[1]!.fact).toMatchObject({
        recordingPartSaved: { part: 1, final: true, partial: true, durationMs: 1000, channels: 2 },
      });
      const ended = await get(ends);
      expect(ended.status).toBe(recordings.RecordingStatus.RECORDING_STATUS_SAVED);
      expect(ended.stopReason).toBe(callEvents.RecordingStopReason.RECORDING_STOP_REASON_MEDIA_ENDED);
      expect(ended.parts.map((p) => [p.part, p.saved, p.partial])).toEqual([[1, true, true]]);
      const endedWav = await download(ends, 1);
      expect(createHash('sha256').update(endedWav).digest('hex')).toBe(ended.parts[0]!.sha256);
      expect(toneRatio(channelsOf(endedWav)[0]!, 500)).toBeGreaterThan(0.8);

      // Failed.
      await waitFor(
        'RecorderFailed',
        () => factsOf(broken).some((f) => f.fact?.$case === 'recorderFailed'),
        20_000,
      );
      expect((await get(broken)).status).toBe(recordings.RecordingStatus.RECORDING_STATUS_FAILED);

      // Stopped before the kill: a complete part, no RecorderStopped (the orchestrator knew).
      await waitFor('the stopped recording saved', () => factsOf(stopped).length >= 1, 20_000);
      expect(factsOf(stopped).map((f) => f.fact?.$case)).toEqual(['recordingPartSaved']);
      expect((await get(stopped)).parts[0]).toMatchObject({ saved: true, partial: false });

      // Another instance's: untouched.
      expect((await get(others)).status).toBe(recordings.RecordingStatus.RECORDING_STATUS_RECORDING);

      // Continued: part 1 saved partial (not final), part 2 records the call's tones.
      await waitFor('part 1 of the continued recording', () => factsOf(goesOn).length >= 1, 20_000);
      expect(factsOf(goesOn)[0]!.fact).toMatchObject({
        recordingPartSaved: { part: 1, final: false, partial: true },
      });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await call<recorder.StopRecorderRequest, recorder.StopRecorderResponse>(
        recorderClient.stopRecorder.bind(recorderClient),
        {
          recordingId: goesOn,
          reason: callEvents.RecordingStopReason.RECORDING_STOP_REASON_CALL_ENDED,
          trimLastMs: 0,
        },
      );
      await waitFor('part 2 saved', () => factsOf(goesOn).length >= 2, 20_000);
      expect(factsOf(goesOn)[1]!.fact).toMatchObject({
        recordingPartSaved: { part: 2, final: true, partial: false },
      });
      const continued = await get(goesOn);
      expect(continued.parts.map((p) => [p.part, p.saved, p.partial])).toEqual([
        [1, true, true],
        [2, true, false],
      ]);
      const [left, right] = channelsOf(await download(goesOn, 2));
      expect(toneRatio(left!, 700)).toBeGreaterThan(0.5);
      expect(toneRatio(right!, 1300)).toBeGreaterThan(0.5);
    } finally {
      client.close();
      recorderClient.close();
    }
  });
});
