// Hangup of a leg whose phone is gone (issue #21, item 5): the far end answered and then vanished, so the
// BYE is never answered and the SIP engine gives up only after Timer F (32 s). HangupLeg must still
// complete at once and the leg end once.
import { join } from 'node:path';
import { callEvents, type sipEdge } from '@callctl/proto';
import { RtpEndpoint, startSipp, waitFor } from '@callctl/testing';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';

jest.setTimeout(90_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
/** What HangupLeg may take although nobody answers the BYE (the orchestrator's deadline is 5 s). */
const HANGUP_WITHIN_MS = 1000;
/** The engine's Timer F (64 × T1) and some room for a loaded machine. */
const BYE_TIMEOUT_SEEN_MS = 45_000;

describe('HangupLeg of a leg whose phone is gone', () => {
  let t: EdgeUnderTest;
  let rtp: RtpEndpoint;

  beforeAll(async () => {
    t = await startEdgeUnderTest();
    rtp = await RtpEndpoint.open();
  });

  afterAll(async () => {
    await rtp?.close();
    await t?.close();
  });

  it('answers OK at once, reports LegEnded (LOCAL_HANGUP) once, and only logs the BYE that times out', async () => {
    const sipp = await startSipp({
      scenario: join(SCENARIOS, 'uac-answered-expect-bye.xml'),
      remote: `127.0.0.1:${t.engine.sipPort}`,
      service: 'dead-phone',
      args: ['-key', 'rtp_port', String(rtp.port)],
    });
    const offer = await t.fact(
      'inboundCallOffered',
      (f) =>
        f.fact?.$case === 'inboundCallOffered' && f.fact.inboundCallOffered.toUri.includes('sip:dead-phone@'),
    );
    const { callId, legId } = offer;
    await call<sipEdge.AnswerLegRequest, sipEdge.AnswerLegResponse>((r, cb) => t.client.answerLeg(r, cb), {
      callId,
      legId,
      detectInbandDtmf: false,
    });
    await t.fact('legAnswered', (f) => f.legId === legId);
    // The ACK is in once sip-edge reports the answer; the phone now dies without a word.
    process.kill(sipp.pid, 'SIGKILL');
    await sipp.result;

    const started = performance.now();
    await call<sipEdge.HangupLegRequest, sipEdge.HangupLegResponse>((r, cb) => t.client.hangupLeg(r, cb), {
      callId,
      legId,
      sipStatus: 0,
      reason: 'done',
    });
    expect(performance.now() - started).toBeLessThan(HANGUP_WITHIN_MS);
    const ended = await t.fact('legEnded', (f) => f.legId === legId, 2000);
    expect(ended.fact.legEnded).toMatchObject({ cause: callEvents.EndCause.END_CAUSE_LOCAL_HANGUP });

    // The BYE's transaction times out later: that is logged, and no second ending is reported.
    await waitFor(
      'the unanswered BYE logged',
      () => t.sipEdge.output().includes('BYE not confirmed') || undefined,
      BYE_TIMEOUT_SEEN_MS,
      200,
    );
    expect(t.factsOf(callId).map((f) => f.fact?.$case)).toEqual([
      'inboundCallOffered',
      'legAnswered',
      'legEnded',
    ]);
  });
});
