// The whole recording service in-process (its composition: engine, PostgreSQL repository, directory
// store, NATS facts) against a real media-worker process over a real rtpengine: a call whose caller sends
// 700 Hz and callee 1300 Hz is recorded over gRPC, and the stored WAV has each tone on its own channel;
// the fact RecordingPartSaved says so; a pause leaves silence in the file and a pause in the metadata;
// a segment stops by itself at its max duration; a recorder whose media vanishes stops by itself (media
// ended); a file that cannot be stored fails the recording (RecorderFailed) and keeps its spool file; a
// start on a session rtpengine does not know fails with FAILED_PRECONDITION and leaves a failed recording.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { connectBus, subscribeMessages, type NatsConnection } from '@callctl/bus';
import { createDb, type PrismaClient } from '@callctl/db';
import { createLogger } from '@callctl/logging';
import { callEvents, facts, recorder, recordings } from '@callctl/proto';
import { createTestDatabase, toneRatio, waitFor, type TestDatabase } from '@callctl/testing';
import { prismaRecordingRepository } from '../src/adapters/db/prisma-recording-repository.js';
import { fsRecordingStore } from '../src/adapters/storage/fs-recording-store.js';
import { createRecorderEngine } from '../src/app/recorder-engine.js';
import { startRecordingService, type RunningRecordingService } from '../src/recording-service.js';
import { grpcCall as call, startMediaStack, type ConnectedCall, type MediaStack } from '@callctl/testing';
import { SERVICE_NODE_FLAGS } from '@callctl/service';
import { channelsOf } from './support/wav-channels.js';

jest.setTimeout(90_000);

const log = createLogger({ service: 'recording-service-test', level: 'silent' });
const CALLER_HZ = 700;
const CALLEE_HZ = 1300;
const newRecordingId = () => `rec-${randomBytes(16).toString('hex')}`;

describe('recording service', () => {
  let dir: string;
  let stack: MediaStack;
  let database: TestDatabase;
  let db: PrismaClient;
  let nc: NatsConnection;
  let service: RunningRecordingService;
  let recorderClient: recorder.RecorderClient;
  let recordingsClient: recordings.RecordingsClient;
  const seen: facts.RecordingFact[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recording-service-'));
    stack = await startMediaStack(dir, { nodeFlags: SERVICE_NODE_FLAGS });
    database = await createTestDatabase();
    db = createDb({ databaseUrl: database.url });
    nc = await connectBus({ servers: stack.nats.url, name: 'recording-service-test' });
    const subscription = subscribeMessages(nc, 'facts.recording.>', facts.RecordingFact);
    void (async () => {
      for await (const message of subscription) seen.push(message.data);
    })();
    await nc.flush();
    service = await startRecordingService({
      log,
      repository: prismaRecordingRepository(db),
      // A short idle time, so that the media-ended test does not wait long.
      engine: createRecorderEngine({ host: '127.0.0.1', idleMs: 1000 }),
      store: fsRecordingStore({ root: join(dir, 'store') }),
      nats: nc,
      facts: { giveUpAfterMs: 30_000, attemptTimeoutMs: 2000 },
      mediaWorker: { address: stack.workerAddress, timeoutMs: 5000 },
      rtpHost: '127.0.0.1',
      spoolDir: join(dir, 'spool'),
      instance: 'recording-test',
      storeRetries: { attempts: 3, retryDelayMs: 100, timeoutMs: 10_000 },
      grpc: { host: '127.0.0.1', port: 0 },
    });
    recorderClient = new recorder.RecorderClient(service.grpc.address, credentials.createInsecure());
    recordingsClient = new recordings.RecordingsClient(service.grpc.address, credentials.createInsecure());
  });
  afterAll(async () => {
    recorderClient?.close();
    recordingsClient?.close();
    await service?.close();
    await nc?.close();
    await db?.$disconnect();
    await database?.drop();
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const start = (request: Partial<recorder.StartRecorderRequest>) =>
    call<recorder.StartRecorderRequest, recorder.StartRecorderResponse>(
      recorderClient.startRecorder.bind(recorderClient),
      recorder.StartRecorderRequest.fromPartial(request),
    );
  const stop = (recordingId: string, reason: callEvents.RecordingStopReason) =>
    call<recorder.StopRecorderRequest, recorder.StopRecorderResponse>(
      recorderClient.stopRecorder.bind(recorderClient),
      { recordingId, reason, trimLastMs: 0 },
    );
  const get = (recordingId: string) =>
    call<recordings.GetRecordingRequest, recordings.GetRecordingResponse>(
      recordingsClient.getRecording.bind(recordingsClient),
      { recordingId },
    );
  const download = (recordingId: string, part = 1) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const stream = recordingsClient.downloadRecording({ recordingId, part });
      stream.on('data', (m: recordings.DownloadRecordingResponse) => chunks.push(Buffer.from(m.chunk)));
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  const factOf = <C extends NonNullable<facts.RecordingFact['fact']>['$case']>(
    recordingId: string,
    kind: C,
  ) =>
    waitFor(
      `${kind} of ${recordingId}`,
      () =>
        seen.find((f) => f.recordingId === recordingId && f.fact?.$case === kind) as
          (facts.RecordingFact & { fact: Extract<facts.RecordingFact['fact'], { $case: C }> }) | undefined,
      20_000,
      20,
    );
  const dualRequest = (recordingId: string, connected: ConnectedCall) => ({
    recordingId,
    callId: connected.callId,
    kind: callEvents.RecordingKind.RECORDING_KIND_CALL,
    parties: [
      { legId: 'leg-caller', media: { sessionId: connected.sessionId, tag: 'caller' } },
      { legId: 'leg-callee', media: { sessionId: connected.sessionId, tag: 'callee' } },
    ],
    channels: callEvents.RecordingChannels.RECORDING_CHANNELS_DUAL,
    pauseMode: callEvents.PauseMode.PAUSE_MODE_SILENCE,
  });

  it('records a call into a dual-channel WAV, caller left and callee right, and reports it saved', async () => {
    const connected = await stack.connectedCall();
    connected.caller.startTone(CALLER_HZ);
    connected.callee.startTone(CALLEE_HZ);
    await waitFor(
      'media both ways',
      () => connected.caller.packetsReceived > 5 && connected.callee.packetsReceived > 5,
    );
    const recordingId = newRecordingId();
    await start(dualRequest(recordingId, connected));
    // Idempotent: the same id again changes nothing.
    await start(dualRequest(recordingId, connected));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await stop(recordingId, callEvents.RecordingStopReason.RECORDING_STOP_REASON_CALL_ENDED);

    const saved = (await factOf(recordingId, 'recordingPartSaved')).fact.recordingPartSaved;
    expect(saved).toMatchObject({ part: 1, final: true, partial: false, channels: 2, sampleRateHz: 8000 });
    expect(saved.durationMs).toBeGreaterThan(1000);
    // A stop asked for is not reported as RecorderStopped (the orchestrator knows why it stopped).
    expect(seen.some((f) => f.recordingId === recordingId && f.fact?.$case === 'recorderStopped')).toBe(
      false,
    );

    const wav = await download(recordingId);
    expect(createHash('sha256').update(wav).digest('hex')).toBe(saved.sha256);
    const [left, right] = channelsOf(wav);
    expect(toneRatio(left!, CALLER_HZ)).toBeGreaterThan(0.5);
    expect(toneRatio(left!, CALLEE_HZ)).toBeLessThan(0.05);
    expect(toneRatio(right!, CALLEE_HZ)).toBeGreaterThan(0.5);
    expect(toneRatio(right!, CALLER_HZ)).toBeLessThan(0.05);

    const { recording } = await get(recordingId);
    expect(recording).toMatchObject({
      status: recordings.RecordingStatus.RECORDING_STATUS_SAVED,
      stopReason: callEvents.RecordingStopReason.RECORDING_STOP_REASON_CALL_ENDED,
      legIds: ['leg-caller', 'leg-callee'],
      sampleRateHz: 8000,
    });
    // The spool file is removed once stored.
    expect(await readdir(join(dir, 'spool')).catch(() => [])).not.toContain(recordingId);
  });

  it('stops by itself when the media session vanishes, reporting media ended and the saved part', async () => {
    const connected = await stack.connectedCall();
    connected.caller.startTone(CALLER_HZ);
    connected.callee.startTone(CALLEE_HZ);
    const recordingId = newRecordingId();
    await start(dualRequest(recordingId, connected));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await connected.hangUp();

    const stopped = await factOf(recordingId, 'recorderStopped');
    expect(stopped.fact.recorderStopped.reason).toBe(
      callEvents.RecordingStopReason.RECORDING_STOP_REASON_MEDIA_ENDED,
    );
    const saved = await factOf(recordingId, 'recordingPartSaved');
    expect(saved.fact.recordingPartSaved.final).toBe(true);
    expect(saved.sourceSequence).toBeGreaterThan(stopped.sourceSequence);
    const { recording } = await get(recordingId);
    expect(recording?.stopReason).toBe(callEvents.RecordingStopReason.RECORDING_STOP_REASON_MEDIA_ENDED);
  });

  it('pauses with silence in the file and keeps the pause in the metadata', async () => {
    const connected = await stack.connectedCall();
    connected.caller.startTone(CALLER_HZ);
    connected.callee.startTone(CALLEE_HZ);
    const recordingId = newRecordingId();
    await start(dualRequest(recordingId, connected));
    const pauseOrResume = (method: 'pauseRecorder' | 'resumeRecorder') =>
      call<{ recordingId: string }, object>(
        (
          recorderClient[method] as (
            r: { recordingId: string },
            cb: (e: Error | null, r: object) => void,
          ) => unknown
        ).bind(recorderClient),
        { recordingId },
      );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await pauseOrResume('pauseRecorder');
    await pauseOrResume('pauseRecorder');
    expect((await get(recordingId)).recording?.status).toBe(
      recordings.RecordingStatus.RECORDING_STATUS_PAUSED,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await pauseOrResume('resumeRecorder');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await stop(recordingId, callEvents.RecordingStopReason.RECORDING_STOP_REASON_REQUESTED);
    await factOf(recordingId, 'recordingPartSaved');

    const { recording } = await get(recordingId);
    expect(recording!.pauses).toHaveLength(1);
    const pause = recording!.pauses[0]!;
    expect(pause.part).toBe(1);
    expect(pause.durationMs).toBeGreaterThan(500);
    expect(pause.resumedAt).toBeDefined();
    // The file keeps the timeline: tone, silence for the pause, tone again.
    const [left] = channelsOf(await download(recordingId));
    const at = (ms: number) => Math.round((ms * 8000) / 1000);
    const rms = (from: number, to: number) => {
      const window = left!.slice(at(from), at(to));
      return Math.sqrt(window.reduce((sum, x) => sum + x * x, 0) / window.length);
    };
    const middle = pause.offsetMs + pause.durationMs / 2;
    expect(rms(middle - 200, middle + 200)).toBeLessThan(50);
    expect(
      toneRatio(left!.slice(at(pause.offsetMs - 500), at(pause.offsetMs - 100)), CALLER_HZ),
    ).toBeGreaterThan(0.5);
    const after = pause.offsetMs + pause.durationMs;
    expect(toneRatio(left!.slice(at(after + 100), at(after + 500)), CALLER_HZ)).toBeGreaterThan(0.5);
  });

  it('stops a segment by itself at its max duration and reports it', async () => {
    const connected = await stack.connectedCall();
    connected.caller.startTone(CALLER_HZ);
    const recordingId = newRecordingId();
    await start({
      recordingId,
      callId: connected.callId,
      kind: callEvents.RecordingKind.RECORDING_KIND_SEGMENT,
      parties: [{ legId: 'leg-caller', media: { sessionId: connected.sessionId, tag: 'caller' } }],
      channels: callEvents.RecordingChannels.RECORDING_CHANNELS_MONO,
      maxDurationMs: 1000,
    });
    const stopped = await factOf(recordingId, 'recorderStopped');
    expect(stopped.fact.recorderStopped.reason).toBe(
      callEvents.RecordingStopReason.RECORDING_STOP_REASON_MAX_DURATION,
    );
    const saved = (await factOf(recordingId, 'recordingPartSaved')).fact.recordingPartSaved;
    expect(saved).toMatchObject({ final: true, channels: 1, durationMs: 1000, totalDurationMs: 1000 });
    const [mono] = channelsOf(await download(recordingId));
    expect(mono!.length).toBe(8000);
    expect(toneRatio(mono!.slice(1600), CALLER_HZ)).toBeGreaterThan(0.5);
    const { recording } = await get(recordingId);
    expect(recording).toMatchObject({
      kind: callEvents.RecordingKind.RECORDING_KIND_SEGMENT,
      legId: 'leg-caller',
      stopReason: callEvents.RecordingStopReason.RECORDING_STOP_REASON_MAX_DURATION,
    });
  });

  it('fails the recording when its file cannot be stored, after retries, and keeps the spool file', async () => {
    // A store whose root is a regular file: every put fails as a full or read-only volume would.
    const notADirectory = join(dir, 'not-a-directory');
    await writeFile(notADirectory, 'x');
    const broken = await startRecordingService({
      log,
      repository: prismaRecordingRepository(db),
      engine: createRecorderEngine({ host: '127.0.0.1' }),
      store: fsRecordingStore({ root: notADirectory }),
      nats: nc,
      facts: { giveUpAfterMs: 30_000, attemptTimeoutMs: 2000 },
      mediaWorker: { address: stack.workerAddress, timeoutMs: 5000 },
      rtpHost: '127.0.0.1',
      spoolDir: join(dir, 'spool-broken'),
      instance: 'recording-test-broken-store',
      storeRetries: { attempts: 2, retryDelayMs: 50, timeoutMs: 10_000 },
      grpc: { host: '127.0.0.1', port: 0 },
    });
    const client = new recorder.RecorderClient(broken.grpc.address, credentials.createInsecure());
    try {
      const connected = await stack.connectedCall();
      connected.caller.startTone(CALLER_HZ);
      const recordingId = newRecordingId();
      await call<recorder.StartRecorderRequest, recorder.StartRecorderResponse>(
        client.startRecorder.bind(client),
        recorder.StartRecorderRequest.fromPartial(dualRequest(recordingId, connected)),
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      await call<recorder.StopRecorderRequest, recorder.StopRecorderResponse>(
        client.stopRecorder.bind(client),
        {
          recordingId,
          reason: callEvents.RecordingStopReason.RECORDING_STOP_REASON_REQUESTED,
          trimLastMs: 0,
        },
      );
      const failed = await factOf(recordingId, 'recorderFailed');
      expect(failed.fact.recorderFailed.reason).toMatch(/could not be stored/);
      expect(seen.some((f) => f.recordingId === recordingId && f.fact?.$case === 'recordingPartSaved')).toBe(
        false,
      );
      const { recording } = await get(recordingId);
      expect(recording?.status).toBe(recordings.RecordingStatus.RECORDING_STATUS_FAILED);
      expect(recording?.parts[0]?.saved).toBe(false);
      expect(await readdir(join(dir, 'spool-broken', recordingId))).toEqual(['part-1.wav']);
    } finally {
      client.close();
      await broken.close();
    }
  });

  it('fails a start on a session rtpengine does not know with FAILED_PRECONDITION, leaving a failed recording', async () => {
    const recordingId = newRecordingId();
    const error = (await start({
      ...dualRequest(recordingId, {
        callId: 'call-gone',
        sessionId: 'session-never-made',
      } as ConnectedCall),
    }).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect((await factOf(recordingId, 'recorderFailed')).callId).toBe('call-gone');
    const { recording } = await get(recordingId);
    expect(recording?.status).toBe(recordings.RecordingStatus.RECORDING_STATUS_FAILED);
  });
});
