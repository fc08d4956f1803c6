import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { callEvents, type media } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { DtmfProbe } from './support/dtmf-probe.js';
import { call, startWorkerUnderTest, type WorkerUnderTest } from './support/worker-under-test.js';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** In-band DTMF key 1: its row and column frequencies. */
const TONES_OF_1 = [697, 1209];

describe('media-worker SendDtmf and SetDtmfDetection (real rtpengine, real RTP)', () => {
  let w: WorkerUnderTest;
  const probes: DtmfProbe[] = [];

  beforeAll(async () => {
    w = await startWorkerUnderTest();
  });
  afterAll(async () => {
    await Promise.all(probes.map((p) => p.close()));
    await w?.close();
  });

  const probe = async (telephoneEvent: boolean) => {
    const p = await DtmfProbe.open({ telephoneEvent });
    probes.push(p);
    return p;
  };
  const answerLocally = async (caller: DtmfProbe) => {
    const sessionId = `session-${randomUUID()}`;
    const reply = await call<media.AnswerLocallyRequest, media.AnswerLocallyResponse>(
      (r, cb) => w.client.answerLocally(r, cb),
      {
        sessionId,
        fromTag: 'caller',
        sdp: caller.sdp(),
        localTag: '',
        echo: 0,
        codecs: undefined,
        callId: `call-${sessionId}`,
        detectDtmf: false,
      },
    );
    caller.useRemote(reply.sdp);
    return sessionId;
  };
  const sendDtmf = (sessionId: string, tag: string, digits: string) =>
    call<media.SendDtmfRequest, media.SendDtmfResponse>((r, cb) => w.client.sendDtmf(r, cb), {
      sessionId,
      tag,
      digits,
      durationMs: 100,
      callId: `call-${sessionId}`,
    });
  const setDetection = (sessionId: string, tag: string, inband: boolean) =>
    call<media.SetDtmfDetectionRequest, media.SetDtmfDetectionResponse>(
      (r, cb) => w.client.setDtmfDetection(r, cb),
      { sessionId, tag, inband, callId: `call-${sessionId}` },
    );
  const digitsOn = (sessionId: string) =>
    w.watched.flatMap((e) =>
      e.sessionId === sessionId && e.fact?.$case === 'dtmfReceived' ? [e.fact.dtmfReceived] : [],
    );

  describe('SendDtmf', () => {
    it('sends 1 then # as RFC 4733 events to a locally answered caller that offered telephone-event', async () => {
      const caller = await probe(true);
      const sessionId = await answerLocally(caller);
      await sleep(200);
      expect(await sendDtmf(sessionId, 'caller', '1#')).toEqual({ sent: true });
      const digits = await waitFor(
        'two events',
        () => (caller.digits().length >= 2 ? caller.digits() : undefined),
        10_000,
      );
      expect(digits).toEqual(['1', '#']);
      expect(caller.events.some((e) => e.end)).toBe(true);
      // A second SendDtmf on the same session (already re-negotiated) is heard as well.
      expect(await sendDtmf(sessionId, 'caller', '9')).toEqual({ sent: true });
      await waitFor('third event', () => caller.digits().length >= 3, 10_000);
      expect(caller.digits()).toEqual(['1', '#', '9']);
    });

    it('answers sent=false and sends nothing to a caller without telephone-event', async () => {
      const caller = await probe(false);
      const sessionId = await answerLocally(caller);
      expect(await sendDtmf(sessionId, 'caller', '1')).toEqual({ sent: false });
      await sleep(800);
      expect(caller.events).toEqual([]);
    });

    it('sends to one party of a relayed session from the other, the session keeping its media path', async () => {
      const offerer = await probe(true);
      const answerer = await probe(true);
      const sessionId = `session-${randomUUID()}`;
      const offered = await call<media.OfferRequest, media.OfferResponse>((r, cb) => w.client.offer(r, cb), {
        sessionId,
        fromTag: 'a',
        sdp: offerer.sdp(),
        codecs: undefined,
        detectDtmf: false,
        callId: `call-${sessionId}`,
      });
      const answered = await call<media.AnswerRequest, media.AnswerResponse>(
        (r, cb) => w.client.answer(r, cb),
        {
          sessionId,
          fromTag: 'a',
          toTag: 'b',
          sdp: answerer.sdp(),
          callId: `call-${sessionId}`,
        },
      );
      answerer.useRemote(offered.sdp);
      offerer.useRemote(answered.sdp);
      await waitFor('media both ways', () => offerer.audioPackets > 5 && answerer.audioPackets > 5, 5000);
      expect(await sendDtmf(sessionId, 'a', '5')).toEqual({ sent: true });
      await waitFor('event at a', () => offerer.digits().length >= 1, 10_000);
      expect(offerer.digits()).toEqual(['5']);
      expect(answerer.events).toEqual([]);
      // The re-negotiation kept the ports each party sends to: audio still arrives both ways.
      const before = { a: offerer.audioPackets, b: answerer.audioPackets };
      await sleep(500);
      expect(offerer.audioPackets).toBeGreaterThan(before.a + 10);
      expect(answerer.audioPackets).toBeGreaterThan(before.b + 10);
    });

    it('refuses digits that are not DTMF keys with INVALID_ARGUMENT', async () => {
      const caller = await probe(true);
      const sessionId = await answerLocally(caller);
      await expect(sendDtmf(sessionId, 'caller', '1x')).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(/0-9 \* # A-D/),
      });
    });
  });

  describe('SetDtmfDetection', () => {
    it('reports a tone 1 as DtmfReceived method INBAND while on, and nothing once off', async () => {
      const caller = await probe(false);
      const sessionId = await answerLocally(caller);
      await setDetection(sessionId, 'caller', true);
      await sleep(200);
      await caller.sendTone(TONES_OF_1, 120);
      const [digit] = await waitFor(
        'in-band 1',
        () => (digitsOn(sessionId).length ? digitsOn(sessionId) : undefined),
        10_000,
      );
      expect(digit).toMatchObject({
        tag: 'caller',
        digit: '1',
        method: callEvents.DtmfMethod.DTMF_METHOD_INBAND,
      });

      await setDetection(sessionId, 'caller', false);
      await sleep(200);
      await caller.sendTone(TONES_OF_1, 120);
      await sleep(1500);
      expect(digitsOn(sessionId)).toHaveLength(1);
    });

    it('names the RFC 4733 digits of a party that negotiated telephone-event RFC4733, detection on or not', async () => {
      const { caller, sessionId, answerSdp } = await w.answerLocally({
        legId: 'caller',
        callId: `call-${randomUUID()}`,
      });
      caller.useRemote(answerSdp);
      caller.startTone(0);
      await setDetection(sessionId, 'caller', true);
      await caller.sendDigit('7');
      const [digit] = await waitFor(
        'digit 7',
        () => (digitsOn(sessionId).length ? digitsOn(sessionId) : undefined),
        10_000,
      );
      expect(digit).toMatchObject({ digit: '7', method: callEvents.DtmfMethod.DTMF_METHOD_RFC4733 });
    });
  });
});
