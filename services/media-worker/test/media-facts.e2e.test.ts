import { randomUUID } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Metadata, status } from '@grpc/grpc-js';
import { callEvents, facts, type media } from '@callctl/proto';
import { connectBus, FACTS_STREAM, mediaFactSubject, type NatsConnection } from '@callctl/bus';
import { waitFor } from '@callctl/testing';
import { call, startWorkerUnderTest, type WorkerUnderTest } from './support/worker-under-test.js';
import { storedFacts, type StoredFacts } from './support/stored-facts.js';

jest.setTimeout(60_000);

/** In-band DTMF: row + column frequency of each key. */
const factsDecoded = (data: Uint8Array) => facts.MediaFact.decode(data);

const DTMF_TONES: Record<string, [number, number]> = { '5': [770, 1336], '9': [852, 1477] };

describe('media-worker facts on JetStream (real nats-server, rtpengine, RTP)', () => {
  let w: WorkerUnderTest;
  let client: media.MediaWorkerClient;
  let watched: media.MediaEvent[];
  let testNats: NatsConnection;
  let jsm: JetStreamManager;
  let factStore: StoredFacts;
  const factsOnceStored = (callId: string, n: number) => factStore.once(callId, n);

  const digitsOf = (stored: facts.MediaFact[]) =>
    stored.map((f) => (f.fact?.$case === 'dtmfDetected' ? f.fact.dtmfDetected.digit : f.fact?.$case));

  /**
   * A caller answered by the worker itself, as the orchestrator does for IVR, in a session of its own named
   * apart from the call (the worker learns the call from call_id, never from the session id).
   */
  const answerLocally = async (legId: string, detectDtmf = false, callId: string = randomUUID()) => {
    const { caller, sessionId, answerSdp } = await w.answerLocally({ legId, callId, detectDtmf });
    caller.useRemote(answerSdp);
    caller.startTone(0);
    return { caller, callId, sessionId };
  };

  /** The worker saw a digit on the session (its gRPC watchers heard it), whether or not it is stored. */
  const digitWatched = (sessionId: string) =>
    waitFor(
      'a digit watched',
      () => watched.find((e) => e.sessionId === sessionId && e.fact?.$case === 'dtmfReceived'),
      10_000,
    );

  beforeAll(async () => {
    // Short attempt deadline and reconnect wait: the outage test should not wait for the client.
    w = await startWorkerUnderTest({ factAttemptTimeoutMs: 500, natsReconnectWaitMs: 100 });
    ({ client, watched } = w);
    testNats = await connectBus({ servers: w.natsServer.url, name: 'facts-test', reconnectTimeWaitMs: 100 });
    jsm = await jetstreamManager(testNats);
    factStore = await storedFacts(testNats);
  });

  afterAll(async () => {
    await testNats?.close();
    await w?.close();
  });

  it('creates the CALLCTL_FACTS stream at start', async () => {
    const info = await jsm.streams.info(FACTS_STREAM);
    expect(info.config.subjects).toEqual(['facts.>']);
  });

  it('stores each RFC 4733 digit once on facts.media.<callId>, on the leg whose tag sent it', async () => {
    const legId = randomUUID();
    const { caller, callId, sessionId } = await answerLocally(legId);
    await caller.sendDigit('7');
    const first = await factsOnceStored(callId, 1);
    // A second digit after the first is stored: a duplicate of the first would sit before it.
    await caller.sendDigit('#');
    const stored = await factsOnceStored(callId, 2);
    expect(digitsOf(stored)).toEqual(['7', '#']);
    expect(stored[0]).toEqual(first[0]);
    expect(stored[0]).toMatchObject({
      callId,
      sessionId,
      fact: { $case: 'dtmfDetected', dtmfDetected: { legId, tag: legId, digit: '7' } },
    });
    expect(new Set(stored.map((f) => f.factId)).size).toBe(2);
    // WatchMediaEvents still reports them too, on the session they were seen on.
    expect(watched.filter((e) => e.sessionId === sessionId && e.fact?.$case === 'dtmfReceived')).toHaveLength(
      2,
    );
  });

  it('stores a playback that played to its end as PlaybackFinished', async () => {
    const legId = randomUUID();
    const { callId, sessionId } = await answerLocally(legId);
    const file = w.tone('beep.wav', 0.3, 1000);
    await call<media.PlayRequest, media.PlayResponse>((r, cb) => client.play(r, cb), {
      sessionId,
      tag: legId,
      source: file,
      repeat: 0,
      playbackId: 'greeting-1',
      callId,
    });
    expect(await factsOnceStored(callId, 1)).toEqual([
      {
        factId: expect.any(String),
        callId,
        // The call's first fact from this worker, and when the worker saw it.
        sourceSequence: 1,
        occurredAtMs: expect.any(Number),
        sessionId,
        fact: { $case: 'playbackFinished', playbackFinished: { playbackId: 'greeting-1', failed: false } },
      },
    ]);
  });

  it('retries a fact observed while nats-server is down and stores it once it is back', async () => {
    const legId = randomUUID();
    const { caller, callId, sessionId } = await answerLocally(legId);
    await w.natsServer.halt();
    await caller.sendDigit('3');
    // The worker saw the digit (its gRPC watchers heard it) while JetStream could not store it.
    await digitWatched(sessionId);
    await waitFor('a failed publish attempt', () => w.logLines.some((l) => l.includes('retrying')), 10_000);
    await w.natsServer.restart();
    const stored = await factsOnceStored(callId, 1);
    expect(digitsOf(stored)).toEqual(['3']);
    await caller.sendDigit('4');
    expect(digitsOf(await factsOnceStored(callId, 2))).toEqual(['3', '4']);
  });

  it("answers FlushFacts once the call's facts are stored, and DEADLINE_EXCEEDED while they cannot be", async () => {
    const legId = randomUUID();
    const { caller, callId, sessionId } = await answerLocally(legId);
    const flush = (timeoutMs: number) =>
      new Promise<void>((resolve, reject) =>
        client.flushFacts({ callId }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
    await flush(1000); // nothing taken for the call yet
    await w.natsServer.halt();
    await caller.sendDigit('6');
    await digitWatched(sessionId);
    await expect(flush(1000)).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
    const restarted = w.natsServer.restart();
    await flush(20_000);
    await restarted;
    // Already stored when FlushFacts answered, not merely on its way.
    const stored = await jsm.streams.getMessage(FACTS_STREAM, { last_by_subj: mediaFactSubject(callId) });
    expect(digitsOf([factsDecoded(stored!.data)])).toEqual(['6']);
  });

  it('detects in-band DTMF tones when asked to (detect_dtmf) and reports them as facts', async () => {
    const legId = randomUUID();
    const { caller, callId } = await answerLocally(legId, true);
    for (const digit of ['5', '9']) {
      caller.startTone(DTMF_TONES[digit]!);
      await new Promise((resolve) => setTimeout(resolve, 200));
      caller.startTone(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(digitsOf(await factsOnceStored(callId, 2))).toEqual(['5', '9']);
  });

  it('stores a digit of a bridge session under the call its Offer and Answer named, with the bridge session', async () => {
    // Two legs whose media a bridge moved into a session of their own; the requests name it and the call.
    const callId = randomUUID();
    const bridge = `bridge-${randomUUID()}`;
    const { a, b } = await w.relayed({ sessionId: bridge, callId, offerer: 'leg-a', answerer: 'leg-b' });
    a.startTone(0);
    b.startTone(0);
    await b.sendDigit('8');
    expect(await factsOnceStored(callId, 1)).toEqual([
      {
        factId: expect.any(String),
        callId,
        // The call's first fact from this worker, and when the worker saw it.
        sourceSequence: 1,
        occurredAtMs: expect.any(Number),
        sessionId: bridge,
        fact: {
          $case: 'dtmfDetected',
          dtmfDetected: {
            legId: 'leg-b',
            tag: 'leg-b',
            digit: '8',
            durationMs: expect.any(Number),
            method: callEvents.DtmfMethod.DTMF_METHOD_RFC4733,
          },
        },
      },
    ]);
    expect(await factStore.count(bridge)).toBe(0);
  });

  it('stores facts of a session whose requests named no call (an older caller) under the session id', async () => {
    const legId = randomUUID();
    const { caller, sessionId } = await answerLocally(legId, false, '');
    await caller.sendDigit('1');
    expect(await factsOnceStored(sessionId, 1)).toMatchObject([
      { callId: sessionId, sessionId, fact: { $case: 'dtmfDetected', dtmfDetected: { digit: '1' } } },
    ]);
  });
});
