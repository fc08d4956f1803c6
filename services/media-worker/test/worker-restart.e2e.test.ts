import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { media } from '@callctl/proto';
import {
  connectBus,
  MEDIA_WORKER_STATE_STREAM,
  mediaWorkerStateOf,
  mediaWorkerStateSubject,
  RecordTable,
  type NatsConnection,
} from '@callctl/bus';
import { createLogger } from '@callctl/logging';
import { decodeMulaw, RtpSocket } from '@callctl/rtp';
import {
  makeToneFile,
  RtpEndpoint,
  startNatsServer,
  startRtpengine,
  toneRatio,
  waitFor,
  type NatsServerFixture,
  type RtpengineFixture,
  freePort,
} from '@callctl/testing';
import { NgClient } from '../src/adapters/rtpengine/ng-client.js';
import { deleteSession } from '../src/adapters/rtpengine/session-commands.js';
import { openNatsWorkerState } from '../src/adapters/nats/worker-state-store.js';
import { call, relayPair } from './support/worker-under-test.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';
import { storedFacts, type StoredFacts } from './support/stored-facts.js';

jest.setTimeout(90_000);

const TONE_DETECTED = 0.5; // share of the received power at the probed frequency
const INSTANCE = 'restart-test';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * kill -9 of the media-worker process while rtpengine keeps the calls' media: what the worker owed (prompt
 * ends, the calls of sessions, locally answered parties) is taken over by the next run with the same instance
 * name.
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
  /** A caller the worker answers itself (IVR), in the call's own session (session id = call id). */
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
        callId,
        detectDtmf: false,
      },
    );
    caller.useRemote(reply.sdp);
    caller.startTone(0);
    return { caller, callId };
  };
  const play = (sessionId: string, tag: string, source: string, callId = sessionId) =>
    call<media.PlayRequest, media.PlayResponse>((r, cb) => client().play(r, cb), {
      sessionId,
      tag,
      source,
      repeat: 0,
      playbackId: randomUUID(),
      callId,
    });
  /** StartEcho for the session's only locally answered party, until the caller hears its own tone. */
  const echoIsOn = async (caller: RtpEndpoint, sessionId: string) => {
    caller.startTone(700);
    await call<media.StartEchoRequest, media.StartEchoResponse>((r, cb) => client().startEcho(r, cb), {
      sessionId,
      tag: '',
    });
    await waitFor('own tone echoed', () => caller.recentToneRatio(700, 200) > TONE_DETECTED, 10_000);
  };
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
        sessionId: callId,
        sourceSequence: expect.any(Number),
        occurredAtMs: expect.any(Number),
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

  it('reports a digit of a bridge session answered before the restart under the call its requests named', async () => {
    await startWorker();
    const [a, b] = [await endpoint(), await endpoint()];
    const callId = randomUUID();
    // Named by whoever made the bridge; the worker never reads the call out of it.
    const bridge = `bridge-${randomUUID()}`;
    const offer = await call<media.OfferRequest, media.OfferResponse>((r, cb) => client().offer(r, cb), {
      sessionId: bridge,
      fromTag: 'leg-a',
      sdp: a.sdp(),
      codecs: undefined,
      detectDtmf: false,
      callId,
    });
    b.useRemote(offer.sdp);
    const answer = await call<media.AnswerRequest, media.AnswerResponse>((r, cb) => client().answer(r, cb), {
      sessionId: bridge,
      fromTag: 'leg-a',
      toTag: 'leg-b',
      sdp: b.sdp(),
      callId,
    });
    a.useRemote(answer.sdp);
    a.startTone(0);
    b.startTone(0);
    await killWorker();
    await startWorker();
    // A digit names only its rtpengine session: the call comes from what the killed run recorded.
    await a.sendDigit('6');
    const [digit] = await facts.once(callId, 1);
    expect(digit).toMatchObject({
      callId,
      sessionId: bridge,
      fact: { $case: 'dtmfDetected', dtmfDetected: { tag: 'leg-a', digit: '6' } },
    });
    // A Play names the bridge session and the leg's tag: the prompt is heard there.
    const { playbackId } = await play(bridge, 'leg-b', tone2s, callId);
    await waitFor('prompt at leg B', () => b.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    await waitFor('playback end stored', async () => (await facts.count(callId)) >= 2, 20_000);
    expect((await facts.of(callId)).map((f) => ({ sessionId: f.sessionId, fact: f.fact }))).toEqual([
      { sessionId: bridge, fact: digit!.fact },
      {
        sessionId: bridge,
        fact: { $case: 'playbackFinished', playbackFinished: { playbackId, failed: false } },
      },
    ]);
  });

  it('turns echo on for a caller answered before the restart', async () => {
    await startWorker();
    const { caller, callId } = await answerLocally();
    await killWorker();
    await startWorker();
    await echoIsOn(caller, callId);
  });

  it('starts over records an older run wrote: bridge routes unread, a local party kept with its DTMF detection', async () => {
    await startWorker();
    const { caller, callId } = await answerLocally();
    await killWorker();
    // Records as the worker wrote them before requests named the call and each operation kept its own.
    const oldTable = <T>(kind: string) =>
      new RecordTable<T>({
        nc: nats,
        stream: MEDIA_WORKER_STATE_STREAM,
        subjectOf: (id) => mediaWorkerStateSubject(INSTANCE, kind, Buffer.from(id).toString('base64url')),
        filter: mediaWorkerStateOf(INSTANCE, kind),
        timeoutMs: 3000,
      });
    const oldBridge = `${callId}/bridge/${randomUUID()}`;
    await oldTable<{ sessionId: string; tags: string[] }>('bridge').put(oldBridge, {
      sessionId: oldBridge,
      tags: ['leg-a', 'leg-b'],
    });
    const state = await openNatsWorkerState({ nc: nats, instance: INSTANCE, timeoutMs: 3000 });
    const local = (await state.localParties.all()).find((r) => r.value.offer.sessionId === callId)!;
    await state.localParties.put(local.id, { ...local.value, detectDtmf: true } as typeof local.value);
    await startWorker();
    await echoIsOn(caller, callId);
    // The party's in-band DTMF detection now has a record of its own.
    await waitFor(
      'in-band DTMF record',
      async () => (await state.inbandDtmf.all()).some((r) => r.value.sessionId === callId),
      5000,
    );
    expect((await state.inbandDtmf.all()).find((r) => r.value.sessionId === callId)?.value).toEqual({
      sessionId: callId,
      tag: 'leg-a',
    });
  });

  it('keeps a fork running through a kill -9 and the restart, and the next run stops it', async () => {
    // The vanished-session check runs often, so that it sees the forked session several times.
    const startChecking = async () => {
      worker = await startWorkerProcess({
        natsUrl: natsServer.url,
        rtpengineNgPort: engine.ngPort,
        dtmfPort,
        cacheDir: join(dir, 'cache'),
        instance: INSTANCE,
        sessionCheckIntervalMs: 300,
      });
    };
    await startChecking();
    const callId = randomUUID();
    const sessionId = `bridge-${callId}`;
    const { a: caller, b: callee } = await relayPair(client(), endpoint, {
      sessionId,
      callId,
      offerer: 'leg-a',
      answerer: 'leg-b',
    });
    caller.startTone(700);
    callee.startTone(1300);
    const received: number[] = [];
    const sink = await RtpSocket.open((packet) => {
      if (packet.payloadType === 0) received.push(...decodeMulaw(packet.payload));
    });
    try {
      await call<media.StartForkRequest, media.StartForkResponse>((r, cb) => client().startFork(r, cb), {
        sessionId,
        forkId: 'recorder-1',
        fromTags: ['leg-a'],
        sinkAddress: '127.0.0.1',
        sinkPorts: [sink.address.port],
        wideband: false,
        callId,
      });
      const callerTone = () => received.length >= 3200 && toneRatio(received.slice(-3200), 700) > 0.8;
      await waitFor('the fork', callerTone, 10_000);
      await killWorker();
      received.length = 0;
      await waitFor('the fork while no worker runs', callerTone, 5000);
      await startChecking();
      await sleep(1500); // several session checks
      received.length = 0;
      await waitFor('the fork after the restart', callerTone, 5000);
      expect(callee.recentToneRatio(700)).toBeGreaterThan(0.8);
      expect(await facts.count(callId)).toBe(0); // no MediaSessionLost: the session and its fork are alive
      await call<media.StopForkRequest, media.StopForkResponse>((r, cb) => client().stopFork(r, cb), {
        sessionId,
        forkId: 'recorder-1',
      });
      await sleep(300);
      received.length = 0;
      await sleep(600);
      expect(received).toHaveLength(0);
      expect(callee.recentToneRatio(700)).toBeGreaterThan(0.8);
    } finally {
      await sink.close();
      await call<media.DeleteRequest, media.DeleteResponse>((r, cb) => client().delete(r, cb), {
        sessionId,
        tag: '',
      });
    }
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
      ...(await state.localParties.all()).map((r) => r.value.offer.sessionId),
    ];
    await waitFor('records dropped', async () => !(await sessionsOf()).includes(callId), 5000);
    // Past the prompt's end: the call is gone, so there is no one to tell.
    await sleep(6000);
    expect(await facts.count(callId)).toBe(0);
  });
});
