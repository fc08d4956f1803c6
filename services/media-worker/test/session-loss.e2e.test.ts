// Sessions that vanish from rtpengine behind the worker's back (its no-media timeout, a restart; here an ng
// delete the worker did not send) are found by the periodic check and reported once as MediaSessionLost.
import { randomUUID } from 'node:crypto';
import type { facts, media } from '@callctl/proto';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { call, startWorkerUnderTest, type WorkerUnderTest } from './support/worker-under-test.js';
import { storedFacts, type StoredFacts } from './support/stored-facts.js';

jest.setTimeout(60_000);

const CHECK_INTERVAL_MS = 200;
/** Several checks: long enough for a wrong or repeated report to show. */
const SEVERAL_CHECKS_MS = CHECK_INTERVAL_MS * 8;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A caller the worker answered itself (AnswerLocally), as for an IVR, in a session of its own. */
async function answeredLocally(w: WorkerUnderTest, callId: string, legId: string): Promise<string> {
  return (await w.answerLocally({ legId, callId })).sessionId;
}

describe('media-worker: sessions that vanish from rtpengine (real rtpengine, nats-server)', () => {
  let w: WorkerUnderTest;
  let client: media.MediaWorkerClient;
  let testNats: NatsConnection;
  let factStore: StoredFacts;

  /** A two-party session made through the worker (Offer, Answer), as sip-edge makes a bridge. */
  const session = async (callId: string) => {
    const [a, b] = [await w.endpoint(), await w.endpoint()];
    const sessionId = `session-${randomUUID()}`;
    await call<media.OfferRequest, media.OfferResponse>((r, cb) => client.offer(r, cb), {
      sessionId,
      fromTag: 'leg-a',
      sdp: a.sdp(),
      codecs: undefined,
      detectDtmf: false,
      callId,
    });
    await call<media.AnswerRequest, media.AnswerResponse>((r, cb) => client.answer(r, cb), {
      sessionId,
      fromTag: 'leg-a',
      toTag: 'leg-b',
      sdp: b.sdp(),
      callId,
    });
    return sessionId;
  };
  /** What rtpengine does on its own timeout or restart, done by the test: the worker sent no delete. */
  const deleteBehindTheWorkersBack = (sessionId: string) =>
    w.worker.ng.command('delete', { 'call-id': sessionId, 'delete-delay': 0 });
  /** Delete (of the session, or of one party's branch with `tag`), as sip-edge sends it. */
  const deleteThroughTheWorker = (sessionId: string, tag = '') =>
    call<media.DeleteRequest, media.DeleteResponse>((r, cb) => client.delete(r, cb), { sessionId, tag });
  const lostFacts = async (callId: string) =>
    (await factStore.of(callId)).filter((f) => f.fact?.$case === 'mediaSessionLost');

  beforeAll(async () => {
    w = await startWorkerUnderTest({ sessionCheckIntervalMs: CHECK_INTERVAL_MS });
    ({ client } = w);
    testNats = await connectBus({ servers: w.natsServer.url, name: 'session-loss-test' });
    factStore = await storedFacts(testNats);
  });

  afterAll(async () => {
    await testNats?.close();
    await w?.close();
  });

  it('reports a session rtpengine dropped once, under its call, with the tags the worker knew', async () => {
    const callId = randomUUID();
    const sessionId = await session(callId);
    await deleteBehindTheWorkersBack(sessionId);
    const stored = await factStore.once(callId, 1);
    expect(stored).toEqual<facts.MediaFact[]>([
      {
        factId: expect.any(String),
        callId,
        sessionId,
        sourceSequence: expect.any(Number),
        occurredAtMs: expect.any(Number),
        fact: {
          $case: 'mediaSessionLost',
          mediaSessionLost: {
            sessionId,
            tags: expect.arrayContaining(['leg-a', 'leg-b']),
            reason: expect.stringContaining('no longer has the session'),
          },
        },
      },
    ]);
    await pause(SEVERAL_CHECKS_MS);
    expect(await factStore.count(callId)).toBe(1);
  });

  it('reports nothing for a session the worker deleted itself', async () => {
    const callId = randomUUID();
    const sessionId = await session(callId);
    await deleteThroughTheWorker(sessionId);
    await pause(SEVERAL_CHECKS_MS);
    expect(await factStore.count(callId)).toBe(0);
  });

  it("reports nothing when the worker's delete of a party took the session's last branch", async () => {
    const callId = randomUUID();
    const sessionId = await answeredLocally(w, callId, 'leg-c');
    await deleteThroughTheWorker(sessionId, 'leg-c');
    await pause(SEVERAL_CHECKS_MS);
    expect(await factStore.count(callId)).toBe(0);
  });

  it('reports a prompt that played in a vanished session as lost with it, never as completed', async () => {
    const callId = randomUUID();
    const sessionId = await answeredLocally(w, callId, 'leg-d');
    const played = await call<media.PlayRequest, media.PlayResponse>((r, cb) => client.play(r, cb), {
      sessionId,
      tag: 'leg-d',
      source: w.tone('prompt.wav', 1, 440),
      repeat: 1,
      playbackId: '',
      callId,
    });
    await deleteBehindTheWorkersBack(sessionId);
    await factStore.once(callId, 1);
    // Past the prompt's end: its timer is gone with the session.
    await pause(played.durationMs + SEVERAL_CHECKS_MS);
    expect((await factStore.of(callId)).map((f) => f.fact?.$case)).toEqual(['mediaSessionLost']);
  });

  it('keeps watching the sessions still there: only the dropped one of two is reported', async () => {
    const callId = randomUUID();
    const kept = await session(callId);
    const dropped = await session(callId);
    await deleteBehindTheWorkersBack(dropped);
    await factStore.once(callId, 1);
    await pause(SEVERAL_CHECKS_MS);
    expect((await lostFacts(callId)).map((f) => f.sessionId)).toEqual([dropped]);
    await deleteBehindTheWorkersBack(kept);
    await factStore.once(callId, 2);
    expect((await lostFacts(callId)).map((f) => f.sessionId)).toEqual([dropped, kept]);
  });
});

describe("media-worker: rtpengine's own no-media timeout (real rtpengine, --timeout=2)", () => {
  let w: WorkerUnderTest;
  let testNats: NatsConnection;
  let factStore: StoredFacts;

  beforeAll(async () => {
    w = await startWorkerUnderTest({
      sessionCheckIntervalMs: CHECK_INTERVAL_MS,
      rtpengineArgs: ['--timeout=2'],
    });
    testNats = await connectBus({ servers: w.natsServer.url, name: 'session-timeout-test' });
    factStore = await storedFacts(testNats);
  });

  afterAll(async () => {
    await testNats?.close();
    await w?.close();
  });

  it('reports a locally answered caller that sends no RTP once rtpengine timed its session out', async () => {
    const callId = randomUUID();
    const sessionId = await answeredLocally(w, callId, 'leg-silent');
    expect(await factStore.once(callId, 1)).toMatchObject([
      { callId, sessionId, fact: { $case: 'mediaSessionLost', mediaSessionLost: { sessionId } } },
    ]);
    expect(await w.engine.listCalls()).not.toContain(sessionId);
  });
});
