import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { callEvents, media, type sipEdge } from '@callctl/proto';
import { RtpEndpoint, startSipp, waitFor, type RunningSipp, makeToneFile } from '@callctl/testing';
import { credentials } from '@grpc/grpc-js';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';

jest.setTimeout(60_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const C = callEvents.EndCause;
const TONE_HZ = 1000;
const TONE_DETECTED = 0.5; // share of the received power at TONE_HZ
const ANSWER_TIMEOUT_MS = 4000;

describe('sip-edge with the SIP engine, media-worker and rtpengine (sipp as the far end)', () => {
  let t: EdgeUnderTest;
  let mediaClient: media.MediaWorkerClient;
  let tone: string;
  const endpoints: RtpEndpoint[] = [];
  const sipps: RunningSipp[] = [];

  const endpoint = async () => {
    const e = await RtpEndpoint.open();
    endpoints.push(e);
    return e;
  };
  /** A sipp caller on the engine's SIP port, its SDP pointing at `rtp` (the test's socket). */
  const caller = async (scenario: string, testCase: string, rtp: RtpEndpoint) => {
    const sipp = await startSipp({
      scenario: join(SCENARIOS, scenario),
      remote: `127.0.0.1:${t.engine.sipPort}`,
      service: testCase,
      args: ['-key', 'rtp_port', String(rtp.port)],
    });
    sipps.push(sipp);
    return sipp;
  };
  const callee = async (scenario: string, rtpPort = 9) => {
    const sipp = await startSipp({
      scenario: join(SCENARIOS, scenario),
      args: ['-key', 'rtp_port', String(rtpPort)],
    });
    sipps.push(sipp);
    return sipp;
  };
  const offered = (testCase: string) =>
    t.fact(
      'inboundCallOffered',
      (f) =>
        f.fact?.$case === 'inboundCallOffered' &&
        f.fact.inboundCallOffered.toUri.includes(`sip:${testCase}@`),
    );
  type Offered = Awaited<ReturnType<typeof offered>>;
  /** Where sip-edge's media plan put the caller's media (InboundCallOffered.media). */
  const mediaOf = (offer: Offered) => {
    const party = offer.fact.inboundCallOffered.media;
    if (!party?.sessionId || !party.tag) throw new Error('InboundCallOffered names no media party');
    return { sessionId: party.sessionId, tag: party.tag };
  };
  /** PlaceCall, with the defaults (no From, the default ring timeout, no bridge, no extra headers). */
  const placeCall = (
    request: Pick<sipEdge.PlaceCallRequest, 'callId' | 'legId' | 'toUri'> & Partial<sipEdge.PlaceCallRequest>,
  ) =>
    edge<sipEdge.PlaceCallRequest, sipEdge.PlaceCallResponse>(t.client.placeCall, {
      fromUri: '',
      ringTimeoutMs: 0,
      bridgeWithLegId: '',
      headers: {},
      ...request,
    });
  const edge = <Req, Res>(method: (req: Req, cb: (e: Error | null, r: Res) => void) => unknown, req: Req) =>
    call(method.bind(t.client) as never, req) as Promise<Res>;

  /** AnswerLeg, then the tone file played to the caller where InboundCallOffered says its media is. */
  const answerAndPlay = async (offer: Offered, repeat: number) => {
    const { callId, legId } = offer;
    await edge(t.client.answerLeg, { callId, legId, detectInbandDtmf: false });
    await t.fact('legAnswered', (f) => f.legId === legId);
    await call<media.PlayRequest, media.PlayResponse>((r, cb) => mediaClient.play(r, cb), {
      ...mediaOf(offer),
      source: tone,
      repeat,
      playbackId: '',
      callId,
    });
  };
  const query = (sessionId: string) =>
    call<media.QueryRequest, media.QueryResponse>((r, cb) => mediaClient.query(r, cb), { sessionId });
  /** rtpengine holds no session for the call any more (nothing leaked for a caller that never got in). */
  const noMediaLeft = (sessionId: string) =>
    waitFor(
      `no media session ${sessionId}`,
      () =>
        query(sessionId).then(
          () => undefined,
          (error: { code?: number }) => error.code === status.NOT_FOUND || undefined,
        ),
      10_000,
    );
  const hearsTone = (rtp: RtpEndpoint, what: string) =>
    waitFor(what, () => rtp.recentToneRatio(TONE_HZ) > TONE_DETECTED, 10_000);

  beforeAll(async () => {
    t = await startEdgeUnderTest({ answerTimeoutMs: ANSWER_TIMEOUT_MS });
    mediaClient = new media.MediaWorkerClient(
      `127.0.0.1:${t.mediaWorker.grpcPort}`,
      credentials.createInsecure(),
    );
    tone = makeToneFile(t.dir, 'tone.wav', 3, TONE_HZ);
  });

  afterEach(async () => {
    await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
  });

  afterAll(async () => {
    mediaClient?.close();
    await t?.close();
  });

  it('offers an inbound INVITE, answers it through rtpengine so a played tone reaches the caller, and hangs up with BYE', async () => {
    const rtp = await endpoint();
    const sipp = await caller('uac-answered-expect-bye.xml', 'answer-play', rtp);
    const offer = await offered('answer-play');
    const { callId, legId } = offer;
    expect(offer.fact.inboundCallOffered).toMatchObject({
      fromUri: expect.stringContaining('sip:sipp@'),
      headers: { 'x-test-case': 'answer-play' },
      media: { sessionId: expect.any(String), tag: expect.any(String) },
    });

    await answerAndPlay(offer, 0);
    await hearsTone(rtp, 'the played tone at the caller');

    await edge(t.client.hangupLeg, { callId, legId, sipStatus: 0, reason: 'done' });
    t.expectSippSucceeded(await sipp.result);
    const ended = await t.fact('legEnded', (f) => f.legId === legId);
    expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_LOCAL_HANGUP, sipStatus: 0 });
    expect(t.factsOf(callId).map((f) => f.fact?.$case)).toEqual([
      'inboundCallOffered',
      'legAnswered',
      'legEnded',
    ]);
  });

  it('passes a re-INVITE through rtpengine: the caller hears the platform at its new address', async () => {
    const first = await endpoint();
    const moved = await endpoint();
    const log = join(t.dir, 'reinvite-uac.log');
    const sipp = await startSipp({
      scenario: join(SCENARIOS, 'uac-answered-reinvites-expect-bye.xml'),
      remote: `127.0.0.1:${t.engine.sipPort}`,
      service: 'reinvite',
      args: [
        ...['-key', 'rtp_port', String(first.port), '-key', 'new_rtp_port', String(moved.port)],
        ...['-trace_logs', '-log_file', log],
      ],
    });
    sipps.push(sipp);
    const offer = await offered('reinvite');
    const { callId, legId } = offer;
    await answerAndPlay(offer, 5);
    await hearsTone(moved, 'the tone at the new address');
    // rtpengine sends to the new address as soon as it has the re-offer, a little before sip-edge's 200:
    // hanging up only once the caller has the 200 keeps the BYE from crossing it.
    await waitFor('the re-INVITE answered', () =>
      existsSync(log) && readFileSync(log, 'utf8').includes('reinvite-answered') ? true : undefined,
    );
    await edge(t.client.hangupLeg, { callId, legId, sipStatus: 0, reason: '' });
    t.expectSippSucceeded(await sipp.result);
  });

  it("reports the caller's BYE as a remote hangup", async () => {
    const rtp = await endpoint();
    const sipp = await caller('uac-answered-then-bye.xml', 'caller-bye', rtp);
    const { callId, legId } = await offered('caller-bye');
    await edge(t.client.answerLeg, { callId, legId, detectInbandDtmf: false });
    t.expectSippSucceeded(await sipp.result);
    const ended = await t.fact('legEnded', (f) => f.legId === legId);
    expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_REMOTE_HANGUP, sipStatus: 0 });
  });

  it('rejects with the status the orchestrator gives', async () => {
    const sipp = await caller('uac-expect-486.xml', 'reject', await endpoint());
    const offer = await offered('reject');
    const { callId, legId } = offer;
    const party = mediaOf(offer);
    // The platform's answer is prepared while the application decides (so AnswerLeg needs no media
    // round trip); a refusal removes it again.
    await waitFor('media prepared for the caller', () =>
      query(party.sessionId).then(
        (r) => r.tags.includes(party.tag) || undefined,
        () => undefined,
      ),
    );
    await edge(t.client.ringLeg, { callId, legId });
    await t.fact('legProgress', (f) => f.legId === legId);
    await edge(t.client.rejectLeg, { callId, legId, sipStatus: 486, reason: 'Busy Here' });
    t.expectSippSucceeded(await sipp.result);
    const ended = await t.fact('legEnded', (f) => f.legId === legId);
    expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_REJECTED, sipStatus: 486 });
    await noMediaLeft(party.sessionId);
  });

  it('answers 480 when nobody decides within the answer timeout', async () => {
    const sipp = await caller('uac-expect-480.xml', 'ignored', await endpoint());
    const offer = await offered('ignored');
    t.expectSippSucceeded(await sipp.result);
    const ended = await t.fact('legEnded', (f) => f.legId === offer.legId);
    expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_NO_ANSWER, sipStatus: 480 });
    await noMediaLeft(mediaOf(offer).sessionId);
  });

  it("reports the caller's CANCEL", async () => {
    const sipp = await caller('uac-cancel-expect-487.xml', 'cancelled', await endpoint());
    const offer = await offered('cancelled');
    const { callId, legId } = offer;
    const ended = await t.fact('legEnded', (f) => f.legId === legId);
    expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_CANCELLED, sipStatus: 487 });
    t.expectSippSucceeded(await sipp.result);
    await noMediaLeft(mediaOf(offer).sessionId);
    await expect(edge(t.client.answerLeg, { callId, legId, detectInbandDtmf: false })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it('refuses an INVITE without SDP with 488 and reports nothing', async () => {
    const sipp = await caller('uac-no-sdp-expect-488.xml', 'late-offer', await endpoint());
    t.expectSippSucceeded(await sipp.result);
    expect(
      t.seen.filter(
        (f) =>
          f.fact?.$case === 'inboundCallOffered' &&
          f.fact.inboundCallOffered.toUri.includes('sip:late-offer@'),
      ),
    ).toEqual([]);
  });

  it('reports a digit sent by SIP INFO', async () => {
    const sipp = await caller('uac-info-dtmf-expect-bye.xml', 'info-dtmf', await endpoint());
    const { callId, legId } = await offered('info-dtmf');
    await edge(t.client.answerLeg, { callId, legId, detectInbandDtmf: false });
    const digit = await t.fact('dtmfInfoReceived', (f) => f.legId === legId);
    expect(digit.fact.dtmfInfoReceived).toEqual({ digit: '7', durationMs: 160 });
    await edge(t.client.hangupLeg, { callId, legId, sipStatus: 0, reason: '' });
    t.expectSippSucceeded(await sipp.result);
  });

  describe('outbound legs', () => {
    const place = (sipp: RunningSipp, legId: string, ringTimeoutMs = 0) =>
      placeCall({
        callId: `out-${legId}`,
        legId,
        toUri: `sip:callee@127.0.0.1:${sipp.port}`,
        fromUri: 'sip:platform@127.0.0.1',
        ringTimeoutMs,
      });

    it('reports sent, ringing and answered for a callee that answers, and BYEs it on hangup', async () => {
      const sipp = await callee('uas-answers-expect-bye.xml');
      // A retry racing the first request (the orchestrator after a timeout) gets the same INVITE.
      const [placed, retried] = await Promise.all([place(sipp, 'answered-1'), place(sipp, 'answered-1')]);
      expect(placed.sipCallId).not.toBe('');
      expect(retried.sipCallId).toBe(placed.sipCallId);
      const sent = await t.fact('outboundLegSent', (f) => f.legId === 'answered-1');
      expect(sent.fact.outboundLegSent.sipCallId).toBe(placed.sipCallId);
      expect((await t.fact('legProgress', (f) => f.legId === 'answered-1')).fact.legProgress.sipStatus).toBe(
        180,
      );
      await t.fact('legAnswered', (f) => f.legId === 'answered-1');
      const listed = await edge<sipEdge.ListLegsRequest, sipEdge.ListLegsResponse>(t.client.listLegs, {
        callId: '',
      });
      expect(listed.legs).toContainEqual({
        callId: 'out-answered-1',
        legId: 'answered-1',
        sipCallId: placed.sipCallId,
        sipState: 'answered',
      });
      await edge(t.client.hangupLeg, {
        callId: 'out-answered-1',
        legId: 'answered-1',
        sipStatus: 0,
        reason: '',
      });
      t.expectSippSucceeded(await sipp.result);
      const ended = await t.fact('legEnded', (f) => f.legId === 'answered-1');
      expect(ended.fact.legEnded.cause).toBe(C.END_CAUSE_LOCAL_HANGUP);
    });

    it('ends a leg refused with 486 as busy', async () => {
      const sipp = await callee('uas-busy.xml');
      await place(sipp, 'busy-1');
      const ended = await t.fact('legEnded', (f) => f.legId === 'busy-1');
      expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_BUSY, sipStatus: 486 });
      t.expectSippSucceeded(await sipp.result);
    });

    it('cancels a leg that rings past its ring timeout and ends it as no answer', async () => {
      const sipp = await callee('uas-rings-expect-cancel.xml');
      await place(sipp, 'no-answer-1', 1500);
      const ended = await t.fact('legEnded', (f) => f.legId === 'no-answer-1');
      expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_NO_ANSWER, sipStatus: 487 });
      t.expectSippSucceeded(await sipp.result);
    });

    it('ends a leg whose callee never responds as not answered at the ring timeout (no 408 after timer B)', async () => {
      const sipp = await callee('uas-silent.xml');
      await placeCall({
        callId: 'out-silent',
        legId: 'silent-1',
        toUri: `sip:callee@127.0.0.1:${sipp.port}`,
        ringTimeoutMs: 1000,
      });
      const ended = await t.fact('legEnded', (f) => f.legId === 'silent-1');
      expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_NO_ANSWER, sipStatus: 0 });
    });
  });

  describe('bridging', () => {
    it("passes the callee's early media on to the waiting caller before the answer", async () => {
      const callerRtp = await endpoint();
      const calleeRtp = await endpoint();
      const callerSipp = await caller('uac-early-media-expect-bye.xml', 'early-media', callerRtp);
      const { callId, legId } = await offered('early-media');
      const calleeSipp = await callee('uas-early-media-then-answers.xml', calleeRtp.port);
      const placed = await placeCall({
        callId,
        legId: 'early-callee-1',
        toUri: `sip:callee@127.0.0.1:${calleeSipp.port}`,
        bridgeWithLegId: legId,
      });
      const calleeProgress = await t.fact('legProgress', (f) => f.legId === 'early-callee-1');
      expect(calleeProgress.fact.legProgress).toEqual({ sipStatus: 183, earlyMedia: true });
      const callerProgress = await t.fact('legProgress', (f) => f.legId === legId);
      expect(callerProgress.fact.legProgress).toEqual({ sipStatus: 183, earlyMedia: true });

      calleeRtp.useRemote(await t.rtpengineSideOf(placed.media!));
      calleeRtp.startTone(1300);
      await waitFor(
        'early media at the caller',
        () => callerRtp.recentToneRatio(1300) > TONE_DETECTED,
        10_000,
      );
      expect(t.factsOf(callId).filter((f) => f.fact?.$case === 'legAnswered')).toEqual([]);

      await t.fact('legAnswered', (f) => f.legId === 'early-callee-1');
      await t.fact('legAnswered', (f) => f.legId === legId);
      await edge(t.client.hangupLeg, { callId, legId: 'early-callee-1', sipStatus: 0, reason: '' });
      await edge(t.client.hangupLeg, { callId, legId, sipStatus: 0, reason: '' });
      t.expectSippSucceeded(await calleeSipp.result);
      t.expectSippSucceeded(await callerSipp.result);
    });

    it('dials through from a leg the platform answered: the media moves from the platform to the callee, both ways', async () => {
      const callerRtp = await endpoint();
      const calleeRtp = await endpoint();
      const callerSipp = await caller(
        'uac-answered-accepts-reinvite-expect-bye.xml',
        'bridge-after-answer',
        callerRtp,
      );
      const offer = await offered('bridge-after-answer');
      const { callId, legId } = offer;
      await edge(t.client.answerLeg, { callId, legId, detectInbandDtmf: false });
      await t.fact('legAnswered', (f) => f.legId === legId);

      const calleeSipp = await callee('uas-answers-expect-bye.xml', calleeRtp.port);
      const placed = await placeCall({
        callId,
        legId: 'bridged-callee-1',
        toUri: `sip:callee@127.0.0.1:${calleeSipp.port}`,
        bridgeWithLegId: legId,
      });
      const sent = await t.fact('outboundLegSent', (f) => f.legId === 'bridged-callee-1');
      expect(sent.fact.outboundLegSent.media).toEqual(placed.media);
      await t.fact('legAnswered', (f) => f.legId === 'bridged-callee-1');

      callerRtp.useRemote(await t.rtpengineSideOf(mediaOf(offer)));
      calleeRtp.useRemote(await t.rtpengineSideOf(placed.media!));
      callerRtp.startTone(700);
      calleeRtp.startTone(1300);
      await waitFor(
        'the caller heard by the callee',
        () => calleeRtp.recentToneRatio(700) > TONE_DETECTED,
        10_000,
      );
      await waitFor(
        'the callee heard by the caller',
        () => callerRtp.recentToneRatio(1300) > TONE_DETECTED,
        10_000,
      );

      await edge(t.client.hangupLeg, { callId, legId: 'bridged-callee-1', sipStatus: 0, reason: '' });
      await edge(t.client.hangupLeg, { callId, legId, sipStatus: 0, reason: '' });
      t.expectSippSucceeded(await calleeSipp.result);
      t.expectSippSucceeded(await callerSipp.result);
    });
  });

  describe('refusals', () => {
    it.each([
      [
        'an unknown leg',
        () => edge(t.client.answerLeg, { callId: 'nope', legId: 'nope', detectInbandDtmf: false }),
        status.NOT_FOUND,
      ],
      [
        'a malformed URI',
        () =>
          placeCall({
            callId: 'c',
            legId: 'bad-uri',
            toUri: 'not a uri',
          }),
        status.INVALID_ARGUMENT,
      ],
      [
        'a reject status that is not final',
        () => edge(t.client.rejectLeg, { callId: 'c', legId: 'l', sipStatus: 200, reason: '' }),
        status.INVALID_ARGUMENT,
      ],
    ])('refuses %s with a clear status', async (_label, run, code) => {
      await expect(run()).rejects.toMatchObject({ code, details: expect.any(String) });
    });

    it('refuses to answer an outbound leg', async () => {
      const sipp = await callee('uas-rings-expect-cancel.xml');
      await placeCall({
        callId: 'out-precondition',
        legId: 'precondition-1',
        toUri: `sip:callee@127.0.0.1:${sipp.port}`,
      });
      await expect(
        edge(t.client.answerLeg, {
          callId: 'out-precondition',
          legId: 'precondition-1',
          detectInbandDtmf: false,
        }),
      ).rejects.toMatchObject({
        code: status.FAILED_PRECONDITION,
        details: expect.stringContaining('outbound'),
      });
      await edge(t.client.hangupLeg, {
        callId: 'out-precondition',
        legId: 'precondition-1',
        sipStatus: 0,
        reason: '',
      });
      const ended = await t.fact('legEnded', (f) => f.legId === 'precondition-1');
      expect(ended.fact.legEnded).toMatchObject({ cause: C.END_CAUSE_LOCAL_HANGUP, sipStatus: 487 });
    });
  });
  describe('restart', () => {
    it('ends the calls of the previous run cleanly: BYE to an answered caller, 480 to a waiting one, LegEnded for both', async () => {
      const answeredSipp = await caller('uac-answered-expect-bye.xml', 'restart-answered', await endpoint());
      const answered = await offered('restart-answered');
      await edge(t.client.answerLeg, {
        callId: answered.callId,
        legId: answered.legId,
        detectInbandDtmf: false,
      });
      await t.fact('legAnswered', (f) => f.legId === answered.legId);
      const waitingSipp = await caller('uac-expect-480.xml', 'restart-waiting', await endpoint());
      const waiting = await offered('restart-waiting');

      await t.restartSipEdge();

      t.expectSippSucceeded(await answeredSipp.result);
      t.expectSippSucceeded(await waitingSipp.result);
      for (const leg of [answered, waiting]) {
        const ended = await t.fact('legEnded', (f) => f.legId === leg.legId);
        expect(ended.fact.legEnded).toMatchObject({
          cause: C.END_CAUSE_PLATFORM_FAILURE,
          reason: 'sip-edge restarted',
        });
      }
      const listed = await edge<sipEdge.ListLegsRequest, sipEdge.ListLegsResponse>(t.client.listLegs, {
        callId: '',
      });
      expect(listed.legs).toEqual([]);
    });
  });
});
