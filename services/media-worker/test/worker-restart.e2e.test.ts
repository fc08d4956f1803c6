import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { media } from '@callctl/proto';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { createLogger } from '@callctl/logging';
import {
  freePort,
  makeToneFile,
  RtpEndpoint,
  startNatsServer,
  startRtpengine,
  waitFor,
  type NatsServerFixture,
  type RtpengineFixture,
} from '@callctl/testing';
import { NgClient } from '../src/adapters/rtpengine/ng-client.js';
import { deleteSession } from '../src/adapters/rtpengine/session-commands.js';
import { openNatsWorkerState } from '../src/adapters/nats/worker-state-store.js';
import { call } from './support/worker-under-test.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';
import { storedFacts, type StoredFacts } from './support/stored-facts.js';

jest.setTimeout(90_000);

const TONE_DETECTED = 0.5; // share of the received power at the probed frequency
const INSTANCE = 'restart-test';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * kill -9 of the media-worker process while rtpengine keeps the calls' media: what the worker owed (prompt
 * ends, bridge routes, locally answered sessions) is taken over by the next run with the same instance name.
 */
describe('media-worker restart (process killed with SIGKILL; real rtpengine, nats-server, RTP)', () => {
  let engine: RtpengineFixture;
  let natsServer: NatsServerFixture;
  let nats: NatsConnection;
  let facts: StoredFacts;
  let dir: string;
  let dtmfPort: number;
  let tone2s: string;
  let worker: WorkerProcess | undefined;
  const endpoints: RtpEndpoint[] = [];

  const startWorker = async () => {
    worker = await startWorkerProcess({
      natsUrl: natsServer.url,
      rtpengineNgPort: engine.ngPort,
      dtmfPort,
      cacheDir: join(dir, 'cache'),
      instance: INSTANCE,
    });
    return worker.client;
  };
  const killWorker = async () => {
    await worker?.kill();
    worker = undefined;
  };
  const endpoint = async () => {
    const e = await RtpEndpoint.open();
    endpoints.push(e);
    return e;
  };
  const client = () => {
    if (!worker) throw new Error('no worker running');
    return worker.client;
  };
  /** A caller the worker answers itself (IVR), as the orchestrator does: session id = call id. */
  const answerLocally = async () => {
    const caller = await endpoint();
    const callId = randomUUID();
    const reply = await call<media.AnswerLocallyRequest, media.AnswerLocallyResponse>(
      (r, cb) => client().answerLocally(r, cb),
      {
        sessionId: callId,
        fromTag: 'leg-a',
        sdp: caller.sdp(),
        localTag: '',
        echo: media.MediaEcho.MEDIA_ECHO_OFF,
        codecs: undefined,
        callId: '',
        detectDtmf: false,
      },
    );
    caller.useRemote(reply.sdp);
    caller.startTone(0);
    return { caller, callId };
  };
  const play = (sessionId: string, tag: string, source: string) =>
    call<media.PlayRequest, media.PlayResponse>((r, cb) => client().play(r, cb), {
      sessionId,
      tag,
      source,
      repeat: 0,
      playbackId: randomUUID(),
      callId: '',
    });
  /** The call's PlaybackFinished facts, once one is stored and a while later (a duplicate would be there). */
  const playbackFactsSettled = async (callId: string) => {
    await facts.once(callId, 1);
    await sleep(3000);
    return facts.of(callId);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'media-worker-restart-'));
    dtmfPort = await freePort();
    engine = await startRtpengine({ dtmfLogDest: `127.0.0.1:${dtmfPort}` });
    natsServer = await startNatsServer();
    nats = await connectBus({ servers: natsServer.url, name: 'restart-test' });
    facts = await storedFacts(nats);
    tone2s = makeToneFile(dir, 'tone-2s.wav', 2, 1000);
  });

  afterEach(async () => {
    await killWorker();
  });

  afterAll(async () => {
    await Promise.all(endpoints.map((e) => e.close()));
    await nats?.close();
    await natsServer?.stop();
    await engine?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports a prompt killed mid-way once, when it ends', async () => {
    await startWorker();
    const { caller, callId } = await answerLocally();
    const { playbackId } = await play(callId, 'leg-a', tone2s);
    await waitFor('prompt audible', () => caller.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    await killWorker();
    // rtpengine plays on without the worker.
    caller.clearReceived();
    await waitFor('prompt still audible', () => caller.recentToneRatio(1000, 200) > TONE_DETECTED, 5000);
    await startWorker();
    expect(await playbackFactsSettled(callId)).toEqual([
      {
        factId: expect.any(String),
        callId,
        fact: { $case: 'playbackFinished', playbackFinished: { playbackId, failed: false } },
      },
    ]);
  });

  it('reports a prompt that ended while no worker ran at once after the restart', async () => {
    await startWorker();
    const { callId } = await answerLocally();
    const { playbackId } = await play(callId, 'leg-a', tone2s);
    await killWorker();
    await sleep(3000);
    await startWorker();
    const stored = await playbackFactsSettled(callId);
    expect(stored.map((f) => f.fact)).toEqual([
      { $case: 'playbackFinished', playbackFinished: { playbackId, failed: false } },
    ]);
  });

  it('reports an end again under the same fact id when killed before forgetting it, and it is stored once', async () => {
    await startWorker();
    const { callId } = await answerLocally();
    const short = makeToneFile(dir, 'tone-300ms.wav', 0.3, 1000);
    const started = Date.now();
    const { playbackId, durationMs } = await play(callId, 'leg-a', short);
    const [first] = await facts.once(callId, 1);
    await killWorker();
    // As if the kill had come between the publish and the record's removal.
    const state = await openNatsWorkerState({ nc: nats, instance: INSTANCE, timeoutMs: 3000 });
    await state.playbacks.put(`${callId}\u0000leg-a`, {
      sessionId: callId,
      tag: 'leg-a',
      playbackId,
      startedAtMs: started,
      durationMs,
      repeat: 1,
    });
    await startWorker();
    await waitFor(
      'record of the end removed',
      async () => !(await state.playbacks.all()).some((r) => r.value.sessionId === callId),
      10_000,
    );
    expect(await facts.of(callId)).toEqual([first]);
  });

  it('StopPlay after the restart stops a prompt the killed worker started, and no end is reported', async () => {
    await startWorker();
    const { caller, callId } = await answerLocally();
    const long = makeToneFile(dir, 'tone-8s.wav', 8, 1000);
    const { playbackId } = await play(callId, 'leg-a', long);
    await killWorker();
    await startWorker();
    const stopped = await call<media.StopPlayRequest, media.StopPlayResponse>(
      (r, cb) => client().stopPlay(r, cb),
      { sessionId: callId, tag: 'leg-a' },
    );
    expect(stopped.playbackId).toBe(playbackId);
    await sleep(500);
    caller.clearReceived();
    await sleep(1000);
    expect(caller.recentToneRatio(1000, 400)).toBeLessThan(TONE_DETECTED);
    // Past the 8 s prompt's end: nothing reported (a stop is the orchestrator's own doing).
    await sleep(7000);
    expect(await facts.count(callId)).toBe(0);
  });

  it('plays to a leg bridged before the restart, in the bridge session, and reports it under the call', async () => {
    await startWorker();
    const [a, b] = [await endpoint(), await endpoint()];
    const callId = randomUUID();
    const bridge = `${callId}/bridge/${randomUUID()}`;
    const offer = await call<media.OfferRequest, media.OfferResponse>((r, cb) => client().offer(r, cb), {
      sessionId: bridge,
      fromTag: 'leg-a',
      sdp: a.sdp(),
      codecs: undefined,
      detectDtmf: false,
      callId: '',
    });
    b.useRemote(offer.sdp);
    const answer = await call<media.AnswerRequest, media.AnswerResponse>((r, cb) => client().answer(r, cb), {
      sessionId: bridge,
      fromTag: 'leg-a',
      toTag: 'leg-b',
      sdp: b.sdp(),
      callId: '',
    });
    a.useRemote(answer.sdp);
    a.startTone(0);
    b.startTone(0);
    await killWorker();
    await startWorker();
    const { playbackId } = await play(callId, 'leg-b', tone2s);
    await waitFor('prompt at leg B', () => b.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    expect((await playbackFactsSettled(callId)).map((f) => ({ callId: f.callId, fact: f.fact }))).toEqual([
      { callId, fact: { $case: 'playbackFinished', playbackFinished: { playbackId, failed: false } } },
    ]);
  });

  it('turns echo on for a caller answered before the restart', async () => {
    await startWorker();
    const { caller, callId } = await answerLocally();
    await killWorker();
    await startWorker();
    caller.startTone(700);
    await call<media.StartEchoRequest, media.StartEchoResponse>((r, cb) => client().startEcho(r, cb), {
      sessionId: callId,
      tag: '',
    });
    await waitFor('own tone echoed', () => caller.recentToneRatio(700, 200) > TONE_DETECTED, 10_000);
  });

  it('drops what it kept for a session rtpengine no longer has', async () => {
    await startWorker();
    const { callId } = await answerLocally();
    const long = makeToneFile(dir, 'tone-6s.wav', 6, 1000);
    await play(callId, 'leg-a', long);
    await killWorker();
    const ng = new NgClient({
      host: '127.0.0.1',
      port: engine.ngPort,
      timeoutMs: 3000,
      log: createLogger({ service: 'restart-test', level: 'warn' }),
    });
    await deleteSession(ng, callId);
    ng.close();
    await startWorker();
    const state = await openNatsWorkerState({ nc: nats, instance: INSTANCE, timeoutMs: 3000 });
    const sessionsOf = async () => [
      ...(await state.playbacks.all()).map((r) => r.value.sessionId),
      ...(await state.localSessions.all()).map((r) => r.value.offer.sessionId),
    ];
    await waitFor('records dropped', async () => !(await sessionsOf()).includes(callId), 5000);
    // Past the prompt's end: the call is gone, so there is no one to tell.
    await sleep(6000);
    expect(await facts.count(callId)).toBe(0);
  });
});
