// sip-edge's hold and unbridge primitives over its gRPC API, with sipp phones whose SDP points at RTP sockets
// the test owns: SetLegDirection re-INVITEs (the a= lines and o= versions sipp saw), a phone's own hold
// (LegHoldChanged), glare both ways (491), and UnbridgeLegs proven by tones (each leg alone hears what the
// platform plays it, not the other party), then BridgeLegs again.
import { credentials, status } from '@grpc/grpc-js';
import { media, sipEdge } from '@callctl/proto';
import { makeToneFile, toneRatio, waitFor, type RtpEndpoint, type RunningSipp } from '@callctl/testing';
import { edgePhones } from '../support/edge-phones.js';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';

jest.setTimeout(60_000);

const D = sipEdge.MediaDirection;
const CALLER_HZ = 700;
const CALLEE_HZ = 1300;
const PROMPT_A_HZ = 1000;
const PROMPT_B_HZ = 1700;
const TONE_DETECTED = 0.5; // share of the received power at a tone's frequency
const TONE_ABSENT = 0.1;

describe('sip-edge hold, glare and unbridge (sipp as the phones)', () => {
  let t: EdgeUnderTest;
  let mediaClient: media.MediaWorkerClient;
  let promptA: string;
  let promptB: string;
  /** The phones of the running test, stopped after it. */
  const { phone, bridgedByDialling, stopAll } = edgePhones(() => t);

  const edge = <Req, Res>(method: (req: Req, cb: (e: Error | null, r: Res) => void) => unknown, req: Req) =>
    call(method.bind(t.client) as never, req) as Promise<Res>;

  /** An inbound caller answered by the platform; its media party from InboundCallOffered. */
  const answeredCaller = async (name: string, scenario: string) => {
    const p = await phone(name, scenario, true);
    const offer = await t.fact(
      'inboundCallOffered',
      (f) =>
        f.fact?.$case === 'inboundCallOffered' && f.fact.inboundCallOffered.toUri.includes(`sip:${name}@`),
    );
    const { callId, legId } = offer;
    await edge(t.client.answerLeg, { callId, legId, detectInbandDtmf: false });
    await t.fact('legAnswered', (f) => f.legId === legId);
    return { ...p, callId, legId, party: offer.fact.inboundCallOffered.media! };
  };

  const setDirection = (callId: string, legId: string, direction: sipEdge.MediaDirection) =>
    edge<sipEdge.SetLegDirectionRequest, sipEdge.SetLegDirectionResponse>(t.client.setLegDirection, {
      callId,
      legId,
      direction,
    });

  const play = (callId: string, party: { sessionId: string; tag: string }, source: string) =>
    call<media.PlayRequest, media.PlayResponse>((r, cb) => mediaClient.play(r, cb), {
      ...party,
      source,
      repeat: 0,
      playbackId: '',
      callId,
    });

  const hangup = (callId: string, legId: string) =>
    edge(t.client.hangupLeg, { callId, legId, sipStatus: 0, reason: '' });

  /** SetLegDirection(sendonly) answered recvonly, then the leg hung up and its sipp run checked. */
  const holdThenHangUp = async (c: { callId: string; legId: string; sipp: RunningSipp }) => {
    expect(await setDirection(c.callId, c.legId, D.MEDIA_DIRECTION_SENDONLY)).toEqual({
      answeredDirection: 'recvonly',
    });
    await hangup(c.callId, c.legId);
    t.expectSippSucceeded(await c.sipp.result);
  };

  const hears = (rtp: RtpEndpoint, hz: number, what: string) =>
    waitFor(what, () => rtp.recentToneRatio(hz) > TONE_DETECTED, 10_000);

  beforeAll(async () => {
    t = await startEdgeUnderTest();
    mediaClient = new media.MediaWorkerClient(
      `127.0.0.1:${t.mediaWorker.grpcPort}`,
      credentials.createInsecure(),
    );
    promptA = makeToneFile(t.dir, 'prompt-a.wav', 3, PROMPT_A_HZ);
    promptB = makeToneFile(t.dir, 'prompt-b.wav', 3, PROMPT_B_HZ);
  });

  afterEach(() => stopAll());

  afterAll(async () => {
    mediaClient?.close();
    await t?.close();
  });

  it('holds a leg by re-INVITE (sendonly, inactive) and resumes it (sendrecv), the phone seeing each a= line under a new o= version', async () => {
    const c = await answeredCaller('hold-out', 'uac-answered-follows-reinvites-expect-bye.xml');

    expect(await setDirection(c.callId, c.legId, D.MEDIA_DIRECTION_SENDONLY)).toEqual({
      answeredDirection: 'recvonly',
    });
    // The same direction again sends nothing (the scenario would fail on an INVITE it does not expect
    // only if it came out of order; the count of offers below proves none was sent).
    expect(await setDirection(c.callId, c.legId, D.MEDIA_DIRECTION_SENDONLY)).toEqual({
      answeredDirection: 'recvonly',
    });
    // Held sendonly, the platform still sends: a prompt (music) reaches the held phone.
    c.rtp.useRemote(await t.rtpengineSideOf(c.party));
    await play(c.callId, c.party, promptA);
    await hears(c.rtp, PROMPT_A_HZ, 'the prompt at the held phone');

    expect(await setDirection(c.callId, c.legId, D.MEDIA_DIRECTION_INACTIVE)).toEqual({
      answeredDirection: 'inactive',
    });
    expect(await setDirection(c.callId, c.legId, D.MEDIA_DIRECTION_SENDRECV)).toEqual({
      answeredDirection: 'sendrecv',
    });

    await hangup(c.callId, c.legId);
    t.expectSippSucceeded(await c.sipp.result);
    const [first] = c.logged('answered').map(Number);
    expect(c.logged('offered')).toEqual([
      `sendonly ${first! + 1}`,
      `inactive ${first! + 2}`,
      `sendrecv ${first! + 3}`,
    ]);
    // Same media address throughout: a hold changes only the direction.
    expect(new Set(c.logged('remote')).size).toBe(1);
    // The platform's own hold is not the phone's.
    expect(t.factsOf(c.callId).map((f) => f.fact?.$case)).not.toContain('legHoldChanged');
  });

  it('refuses a direction on a leg that is not answered, and an unspecified one', async () => {
    await expect(setDirection('nope', 'nope', D.MEDIA_DIRECTION_SENDONLY)).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    const c = await answeredCaller('hold-bad', 'uac-answered-follows-reinvites-expect-bye.xml');
    await expect(setDirection(c.callId, c.legId, D.MEDIA_DIRECTION_UNSPECIFIED)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    await hangup(c.callId, c.legId);
    t.expectSippSucceeded(await c.sipp.result);
    expect(c.logged('offered')).toEqual([]);
  });

  it("reports the phone's own hold and resume once each (LegHoldChanged), answering every re-INVITE through rtpengine", async () => {
    const c = await answeredCaller('hold-in', 'uac-answered-holds-then-resumes-expect-bye.xml');
    await waitFor('the resume answered', () => c.logged('answer-to-resume').length > 0 || undefined);
    await hangup(c.callId, c.legId);
    t.expectSippSucceeded(await c.sipp.result);
    await t.fact('legEnded', (f) => f.legId === c.legId);

    const changes = t
      .factsOf(c.callId)
      .flatMap((f) => (f.fact?.$case === 'legHoldChanged' ? [f.fact.legHoldChanged] : []));
    // sendonly, sendonly again (a refresh), inactive (still held), sendrecv: one hold, one resume.
    expect(changes).toEqual([
      { held: true, direction: 'sendonly' },
      { held: false, direction: 'sendrecv' },
    ]);
    expect(c.logged('answer-to-hold')).toEqual(['recvonly']);
    expect(c.logged('answer-to-resume')).toEqual(['sendrecv']);
  });

  it('retries its re-INVITE once after a 491 (glare), 2.1 to 4 s later', async () => {
    const c = await answeredCaller('glare-out', 'uac-answered-refuses-first-reinvite-491-expect-bye.xml');
    await holdThenHangUp(c);
    const [refusedAt] = c.logged('refused-at').map(Number);
    const [acceptedAt] = c.logged('accepted-at').map(Number);
    const waitedMs = acceptedAt! - refusedAt!;
    expect(waitedMs).toBeGreaterThanOrEqual(2_100);
    expect(waitedMs).toBeLessThanOrEqual(4_500);
  });

  it('retries an UnbridgeLegs re-INVITE refused with 491 once, 2.1 to 4 s later, and takes the legs apart', async () => {
    const { a, b, callId, legA, legB } = await bridgedByDialling(
      'glare-unbridge',
      'uas-answers-refuses-first-reinvite-491-then-follows-expect-bye.xml',
    );
    const apart = await edge<sipEdge.UnbridgeLegsRequest, sipEdge.UnbridgeLegsResponse>(
      t.client.unbridgeLegs,
      { callId, legAId: legA, legBId: legB, holdA: false },
    );
    expect(apart.mediaB).toMatchObject({ tag: legB });
    await t.fact('legsUnbridged', (f) => f.legId === legA);
    expect(a.logged('answered-in-ack')).toEqual(['sendrecv']);
    expect(b.logged('answered-in-ack')).toEqual(['sendrecv']);
    const waitedMs = Number(b.logged('acked-at')[0]) - Number(b.logged('refused-at')[0]);
    expect(waitedMs).toBeGreaterThanOrEqual(2_100);
    expect(waitedMs).toBeLessThanOrEqual(4_500);
    await hangup(callId, legB);
    await hangup(callId, legA);
    t.expectSippSucceeded(await a.sipp.result);
    t.expectSippSucceeded(await b.sipp.result);
  });

  it("answers the phone's re-INVITE with 491 while its own is pending (glare), and still gets its answer", async () => {
    const c = await answeredCaller('glare-in', 'uac-answered-reinvites-while-reinvited-expect-491.xml');
    await holdThenHangUp(c);
    expect(t.factsOf(c.callId).map((f) => f.fact?.$case)).not.toContain('legHoldChanged');
  });

  it('answers 491 to a bridge peer whose re-INVITE would be passed to a leg the platform is re-INVITEing', async () => {
    const { a, b, callId, legA, legB } = await bridgedByDialling(
      'glare-peer',
      'uas-answers-then-refreshes-after-900ms-expect-491.xml',
      'uac-answered-answers-reinvite-after-1800ms-expect-bye.xml',
    );
    // A answers this hold 1.8 s late; B's refresh comes 0.9 s after its answer, while A's is pending.
    expect(await setDirection(callId, legA, D.MEDIA_DIRECTION_SENDONLY)).toEqual({
      answeredDirection: 'recvonly',
    });
    await new Promise((r) => setTimeout(r, 4000));
    await waitFor('the peer refused', () => b.logged('refused-with').includes('491') || undefined);
    await hangup(callId, legB);
    await hangup(callId, legA);
    t.expectSippSucceeded(await a.sipp.result);
    t.expectSippSucceeded(await b.sipp.result);
  });

  it("keeps a held leg held when its bridge peer refreshes the session, and answers the peer with the held leg's direction", async () => {
    const { a, b, callId, legA } = await bridgedByDialling(
      'refresh',
      'uas-answers-then-refreshes-after-3s-expect-bye.xml',
    );
    expect(await setDirection(callId, legA, D.MEDIA_DIRECTION_SENDONLY)).toEqual({
      answeredDirection: 'recvonly',
    });
    await waitFor('the peer’s refresh answered', () => b.logged('answer-to-refresh').length > 0 || undefined);
    // The peer's sendrecv offer reached the held leg as sendonly; the peer was told recvonly.
    expect(a.logged('offered').map((line) => line.split(' ')[0])).toEqual(['sendonly', 'sendonly']);
    expect(b.logged('answer-to-refresh')).toEqual(['recvonly']);
    await hangup(callId, `${callId}-b`);
    await hangup(callId, legA);
    t.expectSippSucceeded(await a.sipp.result);
    t.expectSippSucceeded(await b.sipp.result);
  });

  it('unbridges two legs (each then hears only what the platform plays it), and bridges them again', async () => {
    const { a, b, callId, legA, legB, offer, placed } = await bridgedByDialling(
      'unbridge',
      'uas-answers-follows-reinvites-expect-bye.xml',
    );
    // Bridged by dialling through: each hears the other.
    a.rtp.useRemote(await t.rtpengineSideOf(offer.fact.inboundCallOffered.media!));
    b.rtp.useRemote(await t.rtpengineSideOf(placed.media!));
    a.rtp.startTone(CALLER_HZ);
    b.rtp.startTone(CALLEE_HZ);
    await hears(b.rtp, CALLER_HZ, 'the caller at the callee, bridged');
    await hears(a.rtp, CALLEE_HZ, 'the callee at the caller, bridged');

    const apart = await edge<sipEdge.UnbridgeLegsRequest, sipEdge.UnbridgeLegsResponse>(
      t.client.unbridgeLegs,
      { callId, legAId: legA, legBId: legB, holdA: true },
    );
    expect(apart.mediaA).toMatchObject({ tag: legA });
    expect(apart.mediaB).toMatchObject({ tag: legB });
    expect(apart.mediaA!.sessionId).not.toBe(apart.mediaB!.sessionId);
    const fact = await t.fact('legsUnbridged', (f) => f.legId === legA);
    expect(fact.fact.legsUnbridged).toEqual({ otherLegId: legB, mediaA: apart.mediaA, mediaB: apart.mediaB });
    // Each was re-INVITEd without SDP; A's answer held it (sendonly), B's did not.
    expect(a.logged('answered-in-ack')).toEqual(['sendonly']);
    expect(b.logged('answered-in-ack')).toEqual(['sendrecv']);
    // A retry finds them apart and answers where their media is, with no re-INVITE.
    expect(await edge(t.client.unbridgeLegs, { callId, legAId: legA, legBId: legB, holdA: true })).toEqual(
      apart,
    );

    // Each alone: a prompt played to it reaches it, and nothing of the other party does.
    a.rtp.useRemote(await t.rtpengineSideOf(apart.mediaA!));
    b.rtp.useRemote(await t.rtpengineSideOf(apart.mediaB!));
    const mark = { a: a.rtp.received.length, b: b.rtp.received.length };
    await play(callId, apart.mediaA!, promptA);
    await play(callId, apart.mediaB!, promptB);
    await hears(a.rtp, PROMPT_A_HZ, 'its prompt at A alone');
    await hears(b.rtp, PROMPT_B_HZ, 'its prompt at B alone');
    const sinceApart = (rtp: RtpEndpoint, from: number, hz: number) =>
      toneRatio(rtp.received.slice(from), hz);
    expect(sinceApart(a.rtp, mark.a, CALLEE_HZ)).toBeLessThan(TONE_ABSENT);
    expect(sinceApart(a.rtp, mark.a, PROMPT_B_HZ)).toBeLessThan(TONE_ABSENT);
    expect(sinceApart(b.rtp, mark.b, CALLER_HZ)).toBeLessThan(TONE_ABSENT);
    expect(sinceApart(b.rtp, mark.b, PROMPT_A_HZ)).toBeLessThan(TONE_ABSENT);

    // Resumed and bridged again: each hears the other once more.
    expect(await setDirection(callId, legA, D.MEDIA_DIRECTION_SENDRECV)).toEqual({
      answeredDirection: 'sendrecv',
    });
    const bridged = await edge<sipEdge.BridgeLegsRequest, sipEdge.BridgeLegsResponse>(t.client.bridgeLegs, {
      callId,
      legAId: legA,
      legBId: legB,
      bridgeId: 'again',
      idempotencyKey: 'again',
    });
    const rebridged = { sessionId: bridged.mediaSessionId };
    a.rtp.useRemote(await t.rtpengineSideOf({ ...rebridged, tag: legA }));
    b.rtp.useRemote(await t.rtpengineSideOf({ ...rebridged, tag: legB }));
    await hears(b.rtp, CALLER_HZ, 'the caller at the callee, bridged again');
    await hears(a.rtp, CALLEE_HZ, 'the callee at the caller, bridged again');

    // BridgeLegs re-INVITEd A without SDP again; resumed, its answer is sendrecv this time.
    expect(a.logged('answered-in-ack')).toEqual(['sendonly', 'sendrecv']);

    await hangup(callId, legB);
    await hangup(callId, legA);
    t.expectSippSucceeded(await a.sipp.result);
    t.expectSippSucceeded(await b.sipp.result);
  });
});
