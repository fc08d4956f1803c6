// HoldLeg and ResumeLeg through the orchestrator: the re-INVITE asked of sip-edge (the recording SipEdge),
// the music played by a real media-worker on a real rtpengine to a caller the test owns (RTP), and what
// the log records. A phone's own hold arrives as sip-edge's LegHoldChanged fact. The bridged case (blocks
// of both sides, music to the peer) needs sip-edge's bridge: it is e2e/test/hold.e2e.test.ts.
import { status } from '@grpc/grpc-js';
import { callEvents, sipEdge } from '@callctl/proto';
import { makeToneFile, waitFor } from '@callctl/testing';
import { startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';
import { refused } from './support/call-control-client.js';
import { startMediaWorkerFixture, type MediaWorkerFixture } from './support/media-worker-fixture.js';

jest.setTimeout(60_000);

const MUSIC_HZ = 440;
const MUSIC_FILE = 'hold-440.wav';
const { MediaDirection } = sipEdge;

describe('HoldLeg and ResumeLeg', () => {
  let fx: MediaWorkerFixture;
  let h: Harness;

  beforeAll(async () => {
    fx = await startMediaWorkerFixture('orchestrator-hold-');
    makeToneFile(fx.dir, MUSIC_FILE, 2, MUSIC_HZ);
    h = await startHarness({
      nats: fx.nats,
      mediaWorker: { address: fx.address, mediaFilesDir: fx.dir },
      sipEdge: { onAnswer: fx.answerCaller },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await fx?.stop();
  });

  async function answeredCall() {
    const ids = await h.answeredInboundCall();
    await waitFor('the answer recorded', async () =>
      typesOf(await h.stream(ids.callId)).includes('LegAnswered'),
    );
    return { ...ids, caller: fx.callers.get(ids.legId)! };
  }
  const hold = (callId: string, legId: string, key: string, fileId?: string) =>
    h.client.api.holdLeg({
      callId,
      legId,
      ...(fileId ? { music: { media: { $case: 'fileId' as const, fileId } } } : {}),
      musicToPeer: false,
      idempotencyKey: key,
    });
  const directionsAsked = (legId: string) =>
    h.sipEdge
      .received('setLegDirection')
      .filter((r) => r.legId === legId)
      .map((r) => r.direction);

  it('re-INVITEs the phone a=sendonly and loops the music to it; ResumeLeg stops it and re-INVITEs a=sendrecv', async () => {
    const { callId, legId, caller } = await answeredCall();
    await hold(callId, legId, 'k-hold-1', MUSIC_FILE);
    expect(directionsAsked(legId)).toEqual([MediaDirection.MEDIA_DIRECTION_SENDONLY]);
    // Longer than one pass of the 2 s track: it plays on a loop.
    await waitFor('the music at the caller', () => caller.recentToneRatio(MUSIC_HZ) > 0.5, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(caller.recentToneRatio(MUSIC_HZ)).toBeGreaterThan(0.5);
    const held = (await h.stream(callId)).find((e) => e.type === 'LegHeld');
    expect(held?.data).toEqual(
      expect.objectContaining({
        legId,
        by: 'INITIATOR_API',
        musicUri: `file:${MUSIC_FILE}`,
        idempotencyKey: 'k-hold-1',
      }),
    );
    expect((await h.client.getCall(callId)).legs[0]?.heldBy).toBe(callEvents.Initiator.INITIATOR_API);

    // A retry of the key, and a second hold, record nothing and re-INVITE nothing.
    const before = await h.eventCount();
    await hold(callId, legId, 'k-hold-1', MUSIC_FILE);
    await hold(callId, legId, 'k-hold-2', MUSIC_FILE);
    expect(await h.eventCount()).toBe(before);
    expect(directionsAsked(legId)).toHaveLength(1);

    await h.client.api.resumeLeg({ callId, legId });
    expect(directionsAsked(legId)).toEqual([
      MediaDirection.MEDIA_DIRECTION_SENDONLY,
      MediaDirection.MEDIA_DIRECTION_SENDRECV,
    ]);
    // What arrives from now on (the endpoint keeps what it received: the music before the resume).
    caller.clearReceived();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(caller.recentToneRatio(MUSIC_HZ)).toBeLessThan(0.1);
    const events = await h.stream(callId);
    expect(typesOf(events).slice(-2)).toEqual(['LegHeld', 'LegResumed']);
    expect(events.at(-1)?.data).toEqual(expect.objectContaining({ legId, by: 'INITIATOR_API' }));
    expect((await h.client.getCall(callId)).legs[0]?.heldBy).toBeUndefined();
    // The music's end reported by the worker is no playback of the log: nothing recorded, nothing refused.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(typesOf(await h.stream(callId))).not.toContain('PlaybackFinished');

    // Resuming again is OK and does nothing.
    await h.client.api.resumeLeg({ callId, legId });
    expect(directionsAsked(legId)).toHaveLength(2);
  });

  it('holds in silence without music: a=inactive, nothing played', async () => {
    const { callId, legId, caller } = await answeredCall();
    await hold(callId, legId, 'k-silent');
    expect(directionsAsked(legId)).toEqual([MediaDirection.MEDIA_DIRECTION_INACTIVE]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(caller.recentToneRatio(MUSIC_HZ)).toBeLessThan(0.1);
    const held = (await h.stream(callId)).at(-1);
    expect(held?.type).toBe('LegHeld');
    expect((held?.data as { musicUri?: string }).musicUri ?? '').toBe('');
  });

  it('records nothing when the phone refuses the re-INVITE, and answers FAILED_PRECONDITION naming it', async () => {
    const { callId, legId, caller } = await answeredCall();
    const before = await h.eventCount();
    h.sipEdge.failNext(
      'setLegDirection',
      status.FAILED_PRECONDITION,
      'the phone answered 488 Not Acceptable Here',
    );
    const error = await refused(hold(callId, legId, 'k-refused', MUSIC_FILE));
    expect(error.status).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toMatch(/488/);
    expect(await h.eventCount()).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(caller.recentToneRatio(MUSIC_HZ)).toBeLessThan(0.1);
  });

  it('takes the phone off hold again when the music cannot play: NOT_FOUND, nothing recorded', async () => {
    const { callId, legId } = await answeredCall();
    const before = await h.eventCount();
    const error = await refused(hold(callId, legId, 'k-missing', 'no-such-music.wav'));
    expect(error.status).toBe(status.NOT_FOUND);
    expect(await h.eventCount()).toBe(before);
    expect(directionsAsked(legId)).toEqual([
      MediaDirection.MEDIA_DIRECTION_SENDONLY,
      MediaDirection.MEDIA_DIRECTION_SENDRECV,
    ]);
  });

  it('resolves the music before anything else: speech while the tts service is away is UNAVAILABLE, no re-INVITE', async () => {
    const { callId, legId } = await answeredCall();
    const before = await h.eventCount();
    const error = await refused(
      h.client.api.holdLeg({
        callId,
        legId,
        music: { media: { $case: 'say', say: { input: { $case: 'text', text: 'please hold' } } } },
        musicToPeer: false,
        idempotencyKey: 'k-speech',
      }),
    );
    expect(error.status).toBe(status.UNAVAILABLE);
    expect(error.details).toMatch(/tts/);
    expect(await h.eventCount()).toBe(before);
    expect(directionsAsked(legId)).toEqual([]);
  });

  it('refuses a leg not answered (FAILED_PRECONDITION) or unknown (NOT_FOUND), before any re-INVITE', async () => {
    const { callId, legId } = await h.inboundCall();
    expect((await refused(hold(callId, legId, 'k-ringing'))).status).toBe(status.FAILED_PRECONDITION);
    expect((await refused(hold(callId, 'no-such-leg', 'k-unknown'))).status).toBe(status.NOT_FOUND);
    expect((await refused(h.client.api.resumeLeg({ callId, legId: 'no-such-leg' }))).status).toBe(
      status.NOT_FOUND,
    );
    expect((await refused(hold(callId, legId, ''))).status).toBe(status.INVALID_ARGUMENT);
    expect(directionsAsked(legId)).toEqual([]);
  });

  it("records a phone's own hold and resume (LegHoldChanged) as LegHeld and LegResumed by REMOTE", async () => {
    const { callId, legId } = await answeredCall();
    const changed = (held: boolean, direction: string) =>
      h.sipEdge.publishSipFact(callId, legId, {
        $case: 'legHoldChanged',
        legHoldChanged: { held, direction },
      });
    await changed(true, 'sendonly');
    const held = await waitFor('LegHeld', async () =>
      (await h.stream(callId)).find((e) => e.type === 'LegHeld'),
    );
    expect(held.data).toEqual(
      expect.objectContaining({ legId, by: 'INITIATOR_REMOTE', direction: 'sendonly' }),
    );
    expect((await h.client.getCall(callId)).legs[0]?.heldBy).toBe(callEvents.Initiator.INITIATOR_REMOTE);
    await changed(false, 'sendrecv');
    const resumed = await waitFor('LegResumed', async () =>
      (await h.stream(callId)).find((e) => e.type === 'LegResumed'),
    );
    expect(resumed.data).toEqual(expect.objectContaining({ legId, by: 'INITIATOR_REMOTE' }));
    // The platform sent nothing: the phone's re-INVITE was sip-edge's to pass on.
    expect(directionsAsked(legId)).toEqual([]);
  });
});
