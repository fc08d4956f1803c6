import { randomUUID } from 'node:crypto';
import { media } from '@callctl/proto';
import { runInTrace, workTraceparent } from '@callctl/telemetry/work-trace';
import { waitFor } from '@callctl/testing';
import { UrlCache } from '../../adapters/media-source/url-cache.js';
import { startOperationFixture, type OperationFixture } from '../../../test/support/operation-fixture.js';
import { Playback } from './playback.js';
import { parseUrlAllowList } from '../../domain/address-policy.js';

jest.setTimeout(30_000);

const TONE_DETECTED = 0.5;
const { PLAYBACK_END_REASON_COMPLETED, PLAYBACK_END_REASON_STOPPED } = media.PlaybackEndReason;

describe('playback operation (real rtpengine, nats-server, RTP)', () => {
  let f: OperationFixture;

  const playbackOf = (state = f.state) =>
    new Playback({
      relay: f.relay,
      events: f.events,
      log: f.log,
      sources: new UrlCache({
        dir: f.dir,
        timeoutMs: 1000,
        maxBytes: 1_000_000,
        maxAgeMs: 60_000,
        maxTotalBytes: 1_000_000,
        allow: parseUrlAllowList(''),
      }),
      newId: randomUUID,
      now: () => Date.now(),
      state: state.playbacks,
      factsReported: async () => undefined,
    });
  const endOf = (playbackId: string) =>
    waitFor(
      `end of ${playbackId}`,
      () =>
        f.emitted.find(
          (e) => e.fact?.$case === 'playbackFinished' && e.fact.playbackFinished.playbackId === playbackId,
        ),
      10_000,
    );
  const recordsOf = async (sessionId: string) =>
    (await f.state.playbacks.all()).filter((r) => r.value.sessionId === sessionId).map((r) => r.value);

  beforeAll(async () => {
    f = await startOperationFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('start plays the file to the party, keeps a record while it plays and reports it completed', async () => {
    const playback = playbackOf();
    const { caller, offer } = await f.localCaller();
    const { playbackId, durationMs } = await playback.start({
      sessionId: offer.sessionId,
      tag: 'caller',
      source: f.tone('one-second.wav', 1, 1000),
      repeat: 1,
    });
    expect(durationMs).toBeGreaterThan(900);
    expect(await recordsOf(offer.sessionId)).toEqual([
      expect.objectContaining({
        sessionId: offer.sessionId,
        tag: 'caller',
        playbackId,
        durationMs,
        repeat: 1,
      }),
    ]);
    await waitFor('prompt heard', () => caller.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    const end = await endOf(playbackId);
    expect(end).toMatchObject({
      sessionId: offer.sessionId,
      fact: { playbackFinished: { playbackId, tag: 'caller', reason: PLAYBACK_END_REASON_COMPLETED } },
    });
    await waitFor('record removed', async () => (await recordsOf(offer.sessionId)).length === 0, 5000);
    playback.close();
  });

  it('stop ends what plays to the party, reports it stopped and forgets its record', async () => {
    const playback = playbackOf();
    const { caller, offer } = await f.localCaller();
    const { playbackId } = await playback.start({
      sessionId: offer.sessionId,
      tag: 'caller',
      source: f.tone('long.wav', 20, 1000),
      repeat: 1,
    });
    await waitFor('prompt heard', () => caller.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    expect(await playback.stop(offer.sessionId, 'caller')).toBe(playbackId);
    expect((await endOf(playbackId)).fact).toMatchObject({
      playbackFinished: { reason: PLAYBACK_END_REASON_STOPPED },
    });
    await waitFor('record removed', async () => (await recordsOf(offer.sessionId)).length === 0, 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    caller.clearReceived();
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(caller.packetsReceived).toBeLessThan(5);
    // Nothing plays any more: a second stop has nothing to stop.
    expect(await playback.stop(offer.sessionId, 'caller')).toBeUndefined();
    playback.close();
  });

  it('plays on past the longest Node timer (a loop of 25 days and more): no end reported early, stop still stops it', async () => {
    const playback = playbackOf();
    const { caller, offer } = await f.localCaller();
    // 1 s x 3,000,000 is about 35 days: more than a timer holds (2^31-1 ms, about 24.8 days).
    const { playbackId } = await playback.start({
      sessionId: offer.sessionId,
      tag: 'caller',
      source: f.tone('one-second.wav', 1, 1000),
      repeat: 3_000_000,
    });
    await waitFor('prompt heard', () => caller.recentToneRatio(1000, 200) > TONE_DETECTED, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const ended = () =>
      f.emitted.some(
        (e) => e.fact?.$case === 'playbackFinished' && e.fact.playbackFinished.playbackId === playbackId,
      );
    expect(ended()).toBe(false);
    expect(caller.recentToneRatio(1000, 200)).toBeGreaterThan(TONE_DETECTED);
    expect(await playback.stop(offer.sessionId, 'caller')).toBe(playbackId);
    expect((await endOf(playbackId)).fact).toMatchObject({
      playbackFinished: { reason: PLAYBACK_END_REASON_STOPPED },
    });
    playback.close();
  });

  it('recover takes over a playback a previous run started and drops the one of a session that is gone', async () => {
    const first = playbackOf();
    const { offer } = await f.localCaller();
    const { playbackId } = await first.start({
      sessionId: offer.sessionId,
      tag: 'caller',
      source: f.tone('two-seconds.wav', 2, 1000),
      repeat: 1,
    });
    const gone = { sessionId: `session-${randomUUID()}`, tag: 'caller', playbackId: randomUUID() };
    await f.state.playbacks.put(`${gone.sessionId}\u0000caller`, {
      ...gone,
      startedAtMs: Date.now(),
      durationMs: 500,
      repeat: 1,
    });
    // The first run dies: its timers go, its records stay.
    first.close();
    const next = playbackOf(await f.reopenState());
    const recovered = await next.recover(async (sessionId) =>
      sessionId === gone.sessionId ? 'gone' : 'present',
    );
    expect(recovered).toEqual({ kept: 1, dropped: 1 });
    expect((await endOf(playbackId)).fact).toMatchObject({
      playbackFinished: { reason: PLAYBACK_END_REASON_COMPLETED },
    });
    expect(await recordsOf(gone.sessionId)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(f.emitted.some((e) => e.sessionId === gone.sessionId)).toBe(false);
    next.close();
  });

  it("reports a playback's end under the trace of the Play that started it, also after a restart", async () => {
    const trace = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const tracesOfEnds = new Map<string, string | undefined>();
    const stopListening = f.events.listen((event) => {
      if (event.fact?.$case === 'playbackFinished')
        tracesOfEnds.set(event.fact.playbackFinished.playbackId, workTraceparent());
    });
    const first = playbackOf();
    const { offer } = await f.localCaller();
    const start = () =>
      first.start({
        sessionId: offer.sessionId,
        tag: 'caller',
        source: f.tone('one-second.wav', 1, 1000),
        repeat: 1,
      });
    const { playbackId } = await runInTrace(trace, start);
    expect(await recordsOf(offer.sessionId)).toEqual([
      expect.objectContaining({ playbackId, traceparent: trace }),
    ]);
    // The first run dies before the end; the next one reports it, under the same trace.
    first.close();
    const next = playbackOf(await f.reopenState());
    await next.recover(async () => 'present');
    await endOf(playbackId);
    expect(tracesOfEnds.get(playbackId)).toBe(trace);
    stopListening();
    next.close();
  });
});
