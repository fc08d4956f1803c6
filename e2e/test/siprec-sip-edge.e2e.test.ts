// SIPREC at sip-edge level (RFC 7866), the platform as recording client: a bridged call of two parties
// sending tones from RTP sockets the test owns, its recording fork (media-worker OfferRecordingFork /
// AnswerRecordingFork) and its recording session (sip-edge StartRecordingSession / UpdateRecordingSession /
// EndRecordingSession) with a REAL recorder (drachtio-siprec-recording-server over a second SIP engine,
// its own rtpengine recording to pcap: each label's RTP must carry the right party's tone), and with sipp
// recorders that check the INVITE, end the session themselves, or refuse it.
import { randomUUID } from 'node:crypto';
import { credentials, status } from '@grpc/grpc-js';
import { media, sipEdge } from '@callctl/proto';
import { RtpEndpoint, waitFor } from '@callctl/testing';
import { edgePhones } from '../support/edge-phones.js';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';
import { recordedStreams, recordedToneRatio } from '../support/recorded-pcap.js';
import { startSiprecSrs, type SiprecSrs } from '../support/siprec-srs.js';

jest.setTimeout(90_000);

const D = sipEdge.MediaDirection;
const CALLER_HZ = 700;
const CALLEE_HZ = 1300;
const TONE_DETECTED = 0.5;
const TONE_ABSENT = 0.1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mLinePorts = (sdp: string) => [...sdp.matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1]));
const base64Uuid = () => Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64');

describe('SIPREC recording sessions through sip-edge', () => {
  let t: EdgeUnderTest;
  let srs: SiprecSrs;
  let mediaClient: media.MediaWorkerClient;
  const { phone, bridgedByDialling, stopAll } = edgePhones(() => t);

  const edge = <Req, Res>(method: (req: Req, cb: (e: Error | null, r: Res) => void) => unknown, req: Req) =>
    call(method.bind(t.client) as never, req) as Promise<Res>;
  const worker = <Req, Res>(method: (req: Req, cb: (e: Error | null, r: Res) => void) => unknown, req: Req) =>
    call(method.bind(mediaClient) as never, req) as Promise<Res>;

  /** A caller (700 Hz) bridged by dialling through to a callee (1300 Hz), each hearing the other. */
  const bridgedCall = async (name: string) => {
    const { a, b, callId, legA, legB, offer, placed } = await bridgedByDialling(
      name,
      'uas-answers-follows-reinvites-expect-bye.xml',
    );
    const caller = offer.fact.inboundCallOffered.media!;
    const callee = placed.media!;
    expect(callee.sessionId).toBe(caller.sessionId);
    a.rtp.useRemote(await t.rtpengineSideOf(caller));
    b.rtp.useRemote(await t.rtpengineSideOf(callee));
    a.rtp.startTone(CALLER_HZ);
    b.rtp.startTone(CALLEE_HZ);
    await twoWayAudio(a.rtp, b.rtp);
    const sipCallIds = [offer.fact.inboundCallOffered.sipCallId, placed.sipCallId];
    const hangUp = async () => {
      await edge(t.client.hangupLeg, { callId, legId: legB, sipStatus: 0, reason: '' });
      await edge(t.client.hangupLeg, { callId, legId: legA, sipStatus: 0, reason: '' });
      t.expectSippSucceeded(await a.sipp.result);
      t.expectSippSucceeded(await b.sipp.result);
    };
    return {
      a,
      b,
      callId,
      legA,
      legB,
      sessionId: caller.sessionId,
      tags: [caller.tag, callee.tag],
      sipCallIds,
      hangUp,
    };
  };
  type Call = Awaited<ReturnType<typeof bridgedCall>>;

  const twoWayAudio = async (a: RtpEndpoint, b: RtpEndpoint) => {
    a.clearReceived();
    b.clearReceived();
    await waitFor(
      'two-way audio of the call',
      () =>
        a.packetsReceived > 25 &&
        b.packetsReceived > 25 &&
        a.recentToneRatio(CALLEE_HZ) > TONE_DETECTED &&
        b.recentToneRatio(CALLER_HZ) > TONE_DETECTED,
      10_000,
    );
  };

  /** The rs-metadata of the call as the orchestrator builds it: one participant and one stream per leg. */
  const metadataOf = (c: Call): sipEdge.SiprecMetadata => {
    const streams = ['1', '2'].map((label) => ({ streamId: base64Uuid(), label }));
    const ids = [base64Uuid(), base64Uuid()];
    return {
      sessionId: base64Uuid(),
      sipSessionIds: c.sipCallIds,
      participants: [
        {
          participantId: ids[0]!,
          aor: 'sip:sipp@127.0.0.1',
          name: 'Caller & Co',
          sendStreamIds: [streams[0]!.streamId],
          recvStreamIds: [streams[1]!.streamId],
        },
        {
          participantId: ids[1]!,
          aor: 'sip:callee@127.0.0.1',
          name: '',
          sendStreamIds: [streams[1]!.streamId],
          recvStreamIds: [streams[0]!.streamId],
        },
      ],
      streams,
      extensionData: { callId: c.callId },
    };
  };

  const offerFork = async (c: Call, forkId: string) =>
    (
      await worker<media.OfferRecordingForkRequest, media.OfferRecordingForkResponse>(
        mediaClient.offerRecordingFork,
        {
          sessionId: c.sessionId,
          forkId,
          fromTags: c.tags,
          labels: ['1', '2'],
          callId: c.callId,
        },
      )
    ).sdp;
  const answerFork = (c: Call, forkId: string, sdp: string) =>
    worker<media.AnswerRecordingForkRequest, media.AnswerRecordingForkResponse>(
      mediaClient.answerRecordingFork,
      {
        sessionId: c.sessionId,
        forkId,
        sdp,
        callId: c.callId,
      },
    );
  const stopFork = (c: Call, forkId: string) =>
    worker<media.StopForkRequest, media.StopForkResponse>(mediaClient.stopFork, {
      sessionId: c.sessionId,
      forkId,
    });
  const startSession = (
    c: Call,
    sessionId: string,
    srsUri: string,
    sdp: string,
    extra: Partial<sipEdge.StartRecordingSessionRequest> = {},
  ) =>
    edge<sipEdge.StartRecordingSessionRequest, sipEdge.StartRecordingSessionResponse>(
      t.client.startRecordingSession,
      {
        sessionId,
        callId: c.callId,
        srsUri,
        sdp,
        metadata: metadataOf(c),
        headers: {},
        timeoutMs: 8000,
        ...extra,
      },
    );
  const updateSession = (c: Call, sessionId: string, sdp: string, direction: sipEdge.MediaDirection) =>
    edge<sipEdge.UpdateRecordingSessionRequest, sipEdge.UpdateRecordingSessionResponse>(
      t.client.updateRecordingSession,
      { sessionId, sdp, metadata: metadataOf(c), direction },
    );
  const endSession = (sessionId: string) =>
    edge<sipEdge.EndRecordingSessionRequest, sipEdge.EndRecordingSessionResponse>(
      t.client.endRecordingSession,
      {
        sessionId,
      },
    );

  beforeAll(async () => {
    t = await startEdgeUnderTest();
    srs = await startSiprecSrs();
    mediaClient = new media.MediaWorkerClient(
      `127.0.0.1:${t.mediaWorker.grpcPort}`,
      credentials.createInsecure(),
    );
  });

  afterEach(() => stopAll());

  afterAll(async () => {
    mediaClient?.close();
    await srs?.stop();
    await t?.close();
  });

  it('records each party on its label at the real SRS, pauses (StopFork, then re-INVITE a=inactive) and resumes (new fork offer, re-INVITE sendonly), ends with BYE; the call never notices', async () => {
    const c = await bridgedCall('siprec-real');
    const forkId = `siprec-srec-${randomUUID()}`;
    const sessionId = `srec-${randomUUID().replace(/-/g, '')}-1`;
    const offer = await offerFork(c, forkId);
    expect(offer.match(/^a=label:\S+$/gm)).toEqual(['a=label:1', 'a=label:2']);
    expect(offer.match(/^a=sendonly$/gm)).toHaveLength(2);

    const started = await startSession(c, sessionId, srs.uri, offer, { headers: { 'X-Tenant': 'acme' } });
    expect(started.sipStatus).toBe(200);
    expect(started.sipCallId).not.toBe('');
    // Retried while up: the same answer, no second INVITE.
    expect(await startSession(c, sessionId, srs.uri, offer)).toEqual(started);
    const ports = mLinePorts(started.answerSdp);
    expect(ports).toHaveLength(2);
    await answerFork(c, forkId, started.answerSdp);

    // Sessions are no legs.
    const listed = await edge<sipEdge.ListLegsRequest, sipEdge.ListLegsResponse>(t.client.listLegs, {
      callId: c.callId,
    });
    expect(listed.legs.map((l) => l.legId).sort()).toEqual([c.legA, c.legB].sort());

    await sleep(3000);
    await twoWayAudio(c.a.rtp, c.b.rtp);

    // Pause: the fork stops first, then the recorder is told (a=inactive); the call keeps its audio.
    await stopFork(c, forkId);
    const pausedAt = Date.now() / 1000;
    const paused = await updateSession(c, sessionId, '', D.MEDIA_DIRECTION_INACTIVE);
    expect(mLinePorts(paused.answerSdp)).toHaveLength(2);
    await twoWayAudio(c.a.rtp, c.b.rtp);
    await sleep(1500);

    // Resume: a new fork offer under the same fork id, re-INVITEd sendonly, the SRS's answer to the fork.
    const resumedAt = Date.now() / 1000;
    const again = await offerFork(c, forkId);
    const resumed = await updateSession(c, sessionId, again, D.MEDIA_DIRECTION_SENDONLY);
    await answerFork(c, forkId, resumed.answerSdp);
    await sleep(2000);

    await endSession(sessionId);
    await endSession(sessionId); // ended already: fine
    const [file] = await waitFor(
      'the pcap of the recording session',
      () => {
        const files = srs.pcapsOf(started.sipCallId);
        return files.length > 0 && files;
      },
      10_000,
    );
    // rtpengine writes the file as the session is deleted: wait until both streams are in it.
    const streams = await waitFor(
      'both labels recorded',
      () => {
        const read = recordedStreams(file!);
        return ports.every((p) => (read.get(p)?.packets ?? 0) > 200) && read;
      },
      5000,
    );
    const [label1, label2] = ports.map((p) => streams.get(p)!);
    expect(recordedToneRatio(label1!, CALLER_HZ)).toBeGreaterThan(TONE_DETECTED);
    expect(recordedToneRatio(label1!, CALLEE_HZ)).toBeLessThan(TONE_ABSENT);
    expect(recordedToneRatio(label2!, CALLEE_HZ)).toBeGreaterThan(TONE_DETECTED);
    expect(recordedToneRatio(label2!, CALLER_HZ)).toBeLessThan(TONE_ABSENT);
    // Nothing recorded while paused (the fork stopped before the re-INVITE), recorded again once resumed.
    for (const stream of [label1!, label2!]) {
      expect(stream.times.filter((at) => at > pausedAt + 0.3 && at < resumedAt)).toEqual([]);
      expect(stream.times.filter((at) => at > resumedAt).length).toBeGreaterThan(50);
    }
    // The SRS got the metadata and took the call.
    expect(srs.output()).toContain('call connected successfully');

    await twoWayAudio(c.a.rtp, c.b.rtp);
    await c.hangUp();
    // Ended by the platform: no RecordingSessionEnded fact.
    expect(t.factsOf(c.callId).some((f) => f.fact?.$case === 'recordingSessionEnded')).toBe(false);
  });

  it('sends what a SIPREC client must (sipp checks the INVITE), and a pause re-INVITE with a=inactive and metadata', async () => {
    const c = await bridgedCall('siprec-sipp');
    const sinks = [await RtpEndpoint.open(), await RtpEndpoint.open()];
    const srsPhone = await phone('siprec-srs-check', 'siprec-srs-uas-checks-invite.xml', false, {
      rtp_port_1: String(sinks[0]!.port),
      rtp_port_2: String(sinks[1]!.port),
    });
    try {
      const forkId = `siprec-srec-${randomUUID()}`;
      const sessionId = `srec-${randomUUID().replace(/-/g, '')}-1`;
      const offer = await offerFork(c, forkId);
      const started = await startSession(c, sessionId, `sip:srs@127.0.0.1:${srsPhone.sipp.port}`, offer, {
        headers: { 'X-Test-Case': 'siprec-check' },
      });
      expect(srsPhone.logged('invite')).toEqual(['checked siprec-check']);
      await answerFork(c, forkId, started.answerSdp);
      await waitFor(
        'each party at its recorder port',
        () =>
          sinks[0]!.packetsReceived > 25 &&
          sinks[1]!.packetsReceived > 25 &&
          sinks[0]!.recentToneRatio(CALLER_HZ) > TONE_DETECTED &&
          sinks[1]!.recentToneRatio(CALLEE_HZ) > TONE_DETECTED,
        10_000,
      );

      await stopFork(c, forkId);
      const paused = await updateSession(c, sessionId, '', D.MEDIA_DIRECTION_INACTIVE);
      expect(paused.answerSdp.match(/^a=inactive$/gm)).toHaveLength(2);
      expect(srsPhone.logged('reinvite')).toEqual(['inactive']);
      await sleep(300);
      const after = sinks.map((s) => s.packetsReceived);
      await sleep(800);
      expect(sinks.map((s) => s.packetsReceived)).toEqual(after);
      await twoWayAudio(c.a.rtp, c.b.rtp);

      await endSession(sessionId);
      t.expectSippSucceeded(await srsPhone.sipp.result);
      await c.hangUp();
    } finally {
      await Promise.all(sinks.map((s) => s.close()));
    }
  });

  it('reports the recorder’s BYE as RecordingSessionEnded (leg_id empty, in the call’s fact sequence), the call untouched', async () => {
    const c = await bridgedCall('siprec-bye');
    const srsPhone = await phone('siprec-srs-bye', 'siprec-srs-uas-answers-then-bye.xml', false);
    const forkId = `siprec-srec-${randomUUID()}`;
    const sessionId = `srec-${randomUUID().replace(/-/g, '')}-1`;
    const offer = await offerFork(c, forkId);
    const started = await startSession(c, sessionId, `sip:srs@127.0.0.1:${srsPhone.sipp.port}`, offer);
    await answerFork(c, forkId, started.answerSdp);
    const ended = await t.fact('recordingSessionEnded', (f) => f.callId === c.callId, 10_000);
    expect(ended.legId).toBe('');
    expect(ended.fact.recordingSessionEnded).toEqual({
      sessionId,
      sipStatus: 0,
      reason: 'BYE from the recorder',
    });
    const earlier = t.factsOf(c.callId).filter((f) => f !== ended);
    expect(ended.sourceSequence).toBeGreaterThan(Math.max(...earlier.map((f) => f.sourceSequence)));
    t.expectSippSucceeded(await srsPhone.sipp.result);
    // Ended already: an update finds nothing, an end is fine.
    await expect(updateSession(c, sessionId, '', D.MEDIA_DIRECTION_INACTIVE)).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    await endSession(sessionId);
    await stopFork(c, forkId);
    await twoWayAudio(c.a.rtp, c.b.rtp);
    await c.hangUp();
  });

  it('maps a refusing recorder to FAILED_PRECONDITION "SIP 503" and a silent one to DEADLINE_EXCEEDED "SIP 408"', async () => {
    const c = await bridgedCall('siprec-fail');
    const forkId = `siprec-srec-${randomUUID()}`;
    const offer = await offerFork(c, forkId);
    const refusing = await phone('siprec-srs-503', 'siprec-srs-uas-503.xml', false);
    await expect(
      startSession(c, `srec-${randomUUID()}-1`, `sip:srs@127.0.0.1:${refusing.sipp.port}`, offer),
    ).rejects.toMatchObject({ code: status.FAILED_PRECONDITION, details: 'SIP 503 Service Unavailable' });
    t.expectSippSucceeded(await refusing.sipp.result);

    const silent = await phone('siprec-srs-silent', 'uas-silent.xml', false);
    const begun = Date.now();
    await expect(
      startSession(c, `srec-${randomUUID()}-2`, `sip:srs@127.0.0.1:${silent.sipp.port}`, offer, {
        timeoutMs: 1000,
      }),
    ).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED, details: expect.stringMatching(/^SIP 408/) });
    expect(Date.now() - begun).toBeLessThan(3000);
    await stopFork(c, forkId);
    await twoWayAudio(c.a.rtp, c.b.rtp);
    await c.hangUp();
  });
  // Last: it stops sip-edge.
  it('sends BYE to every recording session still up when sip-edge shuts down', async () => {
    const c = await bridgedCall('siprec-shutdown');
    const srsPhone = await phone('siprec-srs-shutdown', 'uas-answers-expect-bye.xml', false);
    const forkId = `siprec-srec-${randomUUID()}`;
    const offer = await offerFork(c, forkId);
    const sessionId = `srec-${randomUUID().replace(/-/g, '')}-1`;
    await startSession(c, sessionId, `sip:srs@127.0.0.1:${srsPhone.sipp.port}`, offer);
    await t.sipEdge.stop();
    t.expectSippSucceeded(await srsPhone.sipp.result);
    t.expectSippSucceeded(await c.a.sipp.result);
    t.expectSippSucceeded(await c.b.sipp.result);
  });
});
