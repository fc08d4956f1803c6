// SendDtmfInfo: DTMF by SIP INFO to callers without telephone-event, against sipp callers that check every
// INFO they get (scenarios uac-answered-*info*.xml), through the project's SIP engine. And the other way for
// such callers: AnswerLeg's detect_inband_dtmf, which makes the digits a caller sends as tones facts.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { connectBus, mediaFactSubject, subscribeMessages } from '@callctl/bus';
import { facts, type sipEdge } from '@callctl/proto';
import { RtpEndpoint, startSipp, waitFor, type RunningSipp } from '@callctl/testing';
import { edgeCallers } from '../support/edge-callers.js';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';

jest.setTimeout(60_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
/** The Duration= the scenarios check for. */
const DURATION_MS = 120;
/** In-band DTMF: row + column frequency of the key 5. */
const TONES_OF_5 = [770, 1336];

describe('SendDtmfInfo: DTMF by SIP INFO from sip-edge (sipp callers check each INFO)', () => {
  let t: EdgeUnderTest;
  const { caller, offered, answered, stopAll } = edgeCallers(() => t);
  const edge = <Req, Res>(method: (req: Req, cb: (e: Error | null, r: Res) => void) => unknown, req: Req) =>
    call(method.bind(t.client) as never, req) as Promise<Res>;
  const sendDtmfInfo = (request: sipEdge.SendDtmfInfoRequest) =>
    edge<sipEdge.SendDtmfInfoRequest, sipEdge.SendDtmfInfoResponse>(t.client.sendDtmfInfo, request);
  const hangup = (callId: string, legId: string) =>
    edge(t.client.hangupLeg, { callId, legId, sipStatus: 0, reason: 'done' });

  beforeAll(async () => {
    t = await startEdgeUnderTest();
  });

  afterEach(() => stopAll());

  afterAll(async () => {
    await t?.close();
  });

  it('sends 1, 2 and # as three INFOs, each after the previous one was answered', async () => {
    const { sipp, callId, legId } = await answered(
      'uac-answered-expects-info-1-2-hash-then-bye.xml',
      'info-ok',
    );

    await expect(sendDtmfInfo({ callId, legId, digits: '12#', durationMs: DURATION_MS })).resolves.toEqual(
      {},
    );

    await hangup(callId, legId);
    // sipp checked the Content-Type and body of each INFO, and that none came before the previous 200.
    t.expectSippSucceeded(await sipp.result);
  });

  it('lets a second SendDtmfInfo on the leg wait for the first, so their INFOs do not interleave', async () => {
    const { sipp, callId, legId } = await answered(
      'uac-answered-expects-info-1-2-hash-then-bye.xml',
      'info-queued',
    );

    const first = sendDtmfInfo({ callId, legId, digits: '1', durationMs: DURATION_MS });
    // Asked while the INFO of 1 waits for its 200 (sipp holds it back 200 ms): sent after it, or sipp fails.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = sendDtmfInfo({ callId, legId, digits: '2#', durationMs: DURATION_MS });

    await expect(Promise.all([first, second])).resolves.toEqual([{}, {}]);
    await hangup(callId, legId);
    t.expectSippSucceeded(await sipp.result);
  });

  it('fails with FAILED_PRECONDITION naming the status and the digit when the far end refuses an INFO, and sends no more', async () => {
    const { sipp, callId, legId } = await answered(
      'uac-answered-refuses-info-501-expect-bye.xml',
      'info-501',
    );

    const refused = sendDtmfInfo({ callId, legId, digits: '12', durationMs: DURATION_MS });

    await expect(refused).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringMatching(/501 Not Implemented/),
    });
    await expect(refused).rejects.toMatchObject({ details: expect.stringContaining('"1" (1 of 2)') });
    await hangup(callId, legId);
    // A second INFO (for 2) would have reached sipp before the BYE and failed its call.
    t.expectSippSucceeded(await sipp.result);
  });

  it('fails with UNAVAILABLE when the far end never answers an INFO', async () => {
    const { sipp, callId, legId } = await answered('uac-answered-ignores-info-expect-bye.xml', 'info-silent');

    await expect(sendDtmfInfo({ callId, legId, digits: '1', durationMs: DURATION_MS })).rejects.toMatchObject(
      {
        code: status.UNAVAILABLE,
        details: expect.stringMatching(
          /did not answer the SIP INFO of DTMF digit "1" \(1 of 1\) within \d+ ms/,
        ),
      },
    );

    await hangup(callId, legId);
    t.expectSippSucceeded(await sipp.result);
  });

  it('refuses a digit outside 0-9 * # A-D with INVALID_ARGUMENT and sends no INFO', async () => {
    // This caller takes the BYE only: an INFO would be unexpected and fail its call.
    const { sipp, callId, legId } = await answered('uac-answered-expect-bye.xml', 'info-bad-digit');

    await expect(
      sendDtmfInfo({ callId, legId, digits: '1X', durationMs: DURATION_MS }),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('"X" at position 2'),
    });

    await hangup(callId, legId);
    t.expectSippSucceeded(await sipp.result);
  });

  it('refuses a leg that is not answered with FAILED_PRECONDITION and an unknown one with NOT_FOUND', async () => {
    const sipp = await caller('uac-expect-486.xml', 'info-unanswered');
    const { callId, legId } = await offered('info-unanswered');

    await expect(sendDtmfInfo({ callId, legId, digits: '1', durationMs: 0 })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringContaining('not answered'),
    });
    await expect(
      sendDtmfInfo({ callId, legId: 'no-such-leg', digits: '1', durationMs: 0 }),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });

    await edge(t.client.rejectLeg, { callId, legId, sipStatus: 486, reason: '' });
    t.expectSippSucceeded(await sipp.result);
  });
});

describe('AnswerLeg detect_inband_dtmf (sipp caller, the tones sent from the test’s RTP socket)', () => {
  let t: EdgeUnderTest;
  const sipps: RunningSipp[] = [];
  const endpoints: RtpEndpoint[] = [];

  beforeAll(async () => {
    t = await startEdgeUnderTest();
  });

  afterEach(async () => {
    await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
  });

  afterAll(async () => {
    await t?.close();
  });

  /**
   * A caller answered with `detect`, that sends the key 5 as tones for 300 ms; resolves with the digits
   * the media-worker reported for the call (facts.media.<callId>): the first one, or none by `settledMs`
   * after the tone. With `reInvite` the caller moves its media by re-INVITE once answered, and the tones
   * come from the new address after that.
   */
  const digitsHeard = async (
    testCase: string,
    { detect, settledMs = 0, reInvite = false }: { detect: boolean; settledMs?: number; reInvite?: boolean },
  ) => {
    const first = await RtpEndpoint.open();
    const moved = await RtpEndpoint.open();
    endpoints.push(first, moved);
    const log = join(t.dir, `${testCase}.log`);
    const sipp = await startSipp({
      scenario: join(
        SCENARIOS,
        reInvite ? 'uac-answered-reinvites-expect-bye.xml' : 'uac-answered-expect-bye.xml',
      ),
      remote: `127.0.0.1:${t.engine.sipPort}`,
      service: testCase,
      args: [
        ...['-key', 'rtp_port', String(first.port), '-key', 'new_rtp_port', String(moved.port)],
        ...['-trace_logs', '-log_file', log],
      ],
    });
    sipps.push(sipp);
    const offer = await t.fact(
      'inboundCallOffered',
      (f) =>
        f.fact?.$case === 'inboundCallOffered' &&
        f.fact.inboundCallOffered.toUri.includes(`sip:${testCase}@`),
    );
    const { callId, legId } = offer;
    const party = offer.fact.inboundCallOffered.media!;
    const nc = await connectBus({ servers: t.nats.url, name: `dtmf-${testCase}` });
    const digits: string[] = [];
    const subscription = subscribeMessages(nc, mediaFactSubject(callId), facts.MediaFact);
    void (async () => {
      for await (const message of subscription)
        if (message.data.fact?.$case === 'dtmfDetected') digits.push(message.data.fact.dtmfDetected.digit);
    })();
    try {
      await nc.flush();
      await call(t.client.answerLeg.bind(t.client) as never, { callId, legId, detectInbandDtmf: detect });
      await t.fact('legAnswered', (f) => f.legId === legId);
      if (reInvite)
        await waitFor('the re-INVITE answered', () =>
          existsSync(log) && readFileSync(log, 'utf8').includes('reinvite-answered') ? true : undefined,
        );
      const rtp = reInvite ? moved : first;
      rtp.useRemote(await t.rtpengineSideOf({ sessionId: party.sessionId, tag: party.tag }));
      rtp.startTone(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      rtp.startTone(TONES_OF_5);
      await new Promise((resolve) => setTimeout(resolve, 300));
      rtp.startTone(0);
      if (detect) await waitFor('an in-band digit reported', () => digits.length > 0 || undefined, 10_000);
      else await new Promise((resolve) => setTimeout(resolve, settledMs));
      await call(t.client.hangupLeg.bind(t.client) as never, { callId, legId, sipStatus: 0, reason: '' });
      t.expectSippSucceeded(await sipp.result);
      return digits;
    } finally {
      await subscription.close();
      await nc.close();
    }
  };

  it('reports the key a caller sends as tones once AnswerLeg turned detection on', async () => {
    expect(await digitsHeard('inband-on', { detect: true })).toEqual(['5']);
  });

  it('reports nothing for the same tones when AnswerLeg did not ask for detection', async () => {
    // Where detection is on, the digit is reported well within this (the test above waits for it).
    expect(await digitsHeard('inband-off', { detect: false, settledMs: 2000 })).toEqual([]);
  });

  it('keeps detecting after the caller re-INVITEs to a new address', async () => {
    expect(await digitsHeard('inband-reinvite', { detect: true, reInvite: true })).toEqual(['5']);
  });
});
