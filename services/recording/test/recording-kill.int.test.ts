// kill -9 of the recording service process while it records a call (its built entry point: `npx tsc -b`
// first): the next start of the same instance repairs and stores what the killed process had written as
// part 1 (partial), forks the call again and records on into part 2; each part holds the call's tones on
// their channels.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { connectBus, subscribeMessages, type NatsConnection } from '@callctl/bus';
import { callEvents, facts, recorder, recordings } from '@callctl/proto';
import { SERVICE_NODE_FLAGS } from '@callctl/service';
import {
  createTestDatabase,
  freePort,
  startProcess,
  toneRatio,
  waitFor,
  type ManagedProcess,
  type TestDatabase,
} from '@callctl/testing';
import { grpcCall as call, startMediaStack, type MediaStack } from '@callctl/testing';
import { channelsOf } from './support/wav-channels.js';

jest.setTimeout(120_000);

const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

describe('recording service killed while recording', () => {
  let dir: string;
  let stack: MediaStack;
  let database: TestDatabase;
  let nc: NatsConnection;
  let proc: ManagedProcess | undefined;
  let grpcPort: number;
  const seen: facts.RecordingFact[] = [];

  const startRecordingProcess = async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build it first (npx tsc -b)`);
    const started = startProcess(process.execPath, [...SERVICE_NODE_FLAGS, MAIN], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        GRPC_PORT: String(grpcPort),
        DATABASE_URL: database.url,
        NATS_URL: stack.nats.url,
        MEDIA_WORKER_GRPC: stack.workerAddress,
        RECORDING_RTP_HOST: '127.0.0.1',
        RECORDING_SPOOL_DIR: join(dir, 'spool'),
        RECORDING_INSTANCE: 'recording-kill-test',
        RECORDING_STORE: 'fs',
        RECORDING_DIR: join(dir, 'store'),
      },
    });
    await waitFor(
      'recording ready',
      () => {
        if (started.child.exitCode !== null) throw new Error(`recording exited:\n${started.output()}`);
        return started.output().includes('recording ready');
      },
      20_000,
      50,
    );
    return started;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recording-kill-'));
    stack = await startMediaStack(dir, { nodeFlags: SERVICE_NODE_FLAGS });
    database = await createTestDatabase();
    grpcPort = await freePort();
    nc = await connectBus({ servers: stack.nats.url, name: 'recording-kill-test' });
    const subscription = subscribeMessages(nc, 'facts.recording.>', facts.RecordingFact);
    void (async () => {
      for await (const message of subscription) seen.push(message.data);
    })();
    await nc.flush();
  });
  afterAll(async () => {
    await proc?.stop();
    await nc?.close();
    await database?.drop();
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores what the killed process wrote as part 1 and records on into part 2', async () => {
    const connected = await stack.connectedCall();
    connected.caller.startTone(700);
    connected.callee.startTone(1300);
    proc = await startRecordingProcess();
    const address = `127.0.0.1:${grpcPort}`;
    const recordingId = `rec-${randomBytes(16).toString('hex')}`;
    let recorderClient = new recorder.RecorderClient(address, credentials.createInsecure());
    await call<recorder.StartRecorderRequest, recorder.StartRecorderResponse>(
      recorderClient.startRecorder.bind(recorderClient),
      recorder.StartRecorderRequest.fromPartial({
        recordingId,
        callId: connected.callId,
        kind: callEvents.RecordingKind.RECORDING_KIND_CALL,
        parties: [
          { legId: 'leg-caller', media: { sessionId: connected.sessionId, tag: 'caller' } },
          { legId: 'leg-callee', media: { sessionId: connected.sessionId, tag: 'callee' } },
        ],
        channels: callEvents.RecordingChannels.RECORDING_CHANNELS_DUAL,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    recorderClient.close();
    await proc.kill();

    proc = await startRecordingProcess();
    recorderClient = new recorder.RecorderClient(address, credentials.createInsecure());
    const client = new recordings.RecordingsClient(address, credentials.createInsecure());
    try {
      const ofRecording = () => seen.filter((f) => f.recordingId === recordingId);
      await waitFor('part 1 saved at the restart', () => ofRecording().length >= 1, 20_000);
      expect(ofRecording()[0]!.fact).toMatchObject({
        $case: 'recordingPartSaved',
        recordingPartSaved: { part: 1, final: false, partial: true },
      });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await call<recorder.StopRecorderRequest, recorder.StopRecorderResponse>(
        recorderClient.stopRecorder.bind(recorderClient),
        {
          recordingId,
          reason: callEvents.RecordingStopReason.RECORDING_STOP_REASON_CALL_ENDED,
          trimLastMs: 0,
        },
      );
      await waitFor('part 2 saved', () => ofRecording().length >= 2, 20_000);
      expect(ofRecording()[1]!.fact).toMatchObject({
        recordingPartSaved: { part: 2, final: true, partial: false },
      });

      const { recording } = await call<recordings.GetRecordingRequest, recordings.GetRecordingResponse>(
        client.getRecording.bind(client),
        { recordingId },
      );
      expect(recording!.parts.map((p) => [p.part, p.saved, p.partial])).toEqual([
        [1, true, true],
        [2, true, false],
      ]);
      for (const part of [1, 2]) {
        const wav = await new Promise<Buffer>((resolve, reject) => {
          const chunks: Buffer[] = [];
          const stream = client.downloadRecording({ recordingId, part });
          stream.on('data', (m: recordings.DownloadRecordingResponse) => chunks.push(Buffer.from(m.chunk)));
          stream.on('error', reject);
          stream.on('end', () => resolve(Buffer.concat(chunks)));
        });
        expect(createHash('sha256').update(wav).digest('hex')).toBe(recording!.parts[part - 1]!.sha256);
        const [left, right] = channelsOf(wav);
        expect(left!.length).toBeGreaterThan(8000);
        expect(toneRatio(left!, 700)).toBeGreaterThan(0.5);
        expect(toneRatio(right!, 1300)).toBeGreaterThan(0.5);
      }
    } finally {
      recorderClient.close();
      client.close();
    }
  });
});
