// A phone's REFER with Replaces at sip-edge, the test standing in for the orchestrator: the phone P has two
// calls through sip-edge (P1 dialled through to X1, P2 to X2, all sipp), REFERs on P1 naming P2's dialog,
// and the platform joins X1 and X2: MoveLeg re-homes X2 in call 1 (its facts and operations are call 1's
// from then on), P2 and P1 are hung up, BridgeLegs(X1, X2) joins the two remote parties, proven by tones
// both ways at RTP sockets the test owns.
import { status } from '@grpc/grpc-js';
import type { sipEdge } from '@callctl/proto';
import { waitFor, type RtpEndpoint } from '@callctl/testing';
import { edgePhones } from '../support/edge-phones.js';
import { call, startEdgeUnderTest, type EdgeUnderTest } from '../support/edge-under-test.js';

jest.setTimeout(60_000);

const X1_HZ = 700;
const X2_HZ = 1300;
const TONE_DETECTED = 0.5; // share of the received power at a tone's frequency

describe('sip-edge: a phone’s REFER with Replaces joins the remote parties of its two calls', () => {
  let t: EdgeUnderTest;
  const { phone, stopAll } = edgePhones(() => t);

  const edge = <Req, Res>(method: (req: Req, cb: (e: Error | null, r: Res) => void) => unknown, req: Req) =>
    call(method.bind(t.client) as never, req) as Promise<Res>;
  const hangup = (callId: string, legId: string) =>
    edge(t.client.hangupLeg, { callId, legId, sipStatus: 0, reason: '' });

  /** The phone's call `name`: its caller P dialled through to the remote party X. */
  const phoneCall = async (name: string, callerScenario: string, keys: Record<string, string> = {}) => {
    const p = await phone(`${name}-p`, callerScenario, true, keys);
    const offer = await t.fact(
      'inboundCallOffered',
      (f) =>
        f.fact?.$case === 'inboundCallOffered' && f.fact.inboundCallOffered.toUri.includes(`sip:${name}-p@`),
    );
    const { callId, legId: pLeg } = offer;
    const x = await phone(`${name}-x`, 'uas-answers-follows-reinvites-expect-bye.xml', false);
    const xLeg = `${callId}-x`;
    await edge<sipEdge.PlaceCallRequest, sipEdge.PlaceCallResponse>(t.client.placeCall, {
      callId,
      legId: xLeg,
      toUri: `sip:remote@127.0.0.1:${x.sipp.port}`,
      fromUri: '',
      ringTimeoutMs: 0,
      bridgeWithLegId: pLeg,
      headers: {},
    });
    await t.fact('legAnswered', (f) => f.legId === pLeg);
    return { p, x, callId, pLeg, xLeg, sipCallId: offer.fact.inboundCallOffered.sipCallId };
  };

  const hears = (rtp: RtpEndpoint, hz: number, what: string) =>
    waitFor(what, () => rtp.recentToneRatio(hz) > TONE_DETECTED, 10_000);

  beforeAll(async () => {
    t = await startEdgeUnderTest();
  });

  afterEach(() => stopAll());

  afterAll(async () => {
    await t?.close();
  });

  it('moves X2 into call 1 and bridges it with X1: tones both ways; X2 is call 1’s from then on', async () => {
    const two = await phoneCall('replaced', 'uac-answered-logs-dialog-tags-expect-bye.xml');
    const tags = await waitFor('P2’s dialog tags', () => {
      const m = /dialog-tags to-tag=(\S+) from-tag=(\S+)/.exec(two.p.log());
      return m ? { toTag: m[1]!, fromTag: m[2]! } : undefined;
    });
    // As linphone sends it: a host and port that are not the platform's.
    const replaces = `${two.sipCallId}%3Bto-tag%3D${tags.toTag}%3Bfrom-tag%3D${tags.fromTag}`;
    const one = await phoneCall(
      'replacing',
      'uac-answered-refers-expect-202-notifies-100-200-expect-bye.xml',
      {
        refer_to: `<sip:x2@192.0.2.1?Replaces=${replaces}>`,
      },
    );
    const refer = await t.fact('referReceived', (f) => f.legId === one.pLeg);
    expect(refer.fact.referReceived).toMatchObject({
      replacesCallId: two.callId,
      replacesLegId: two.pLeg,
    });

    // What the orchestrator does: move X2, end P2, tell P it worked, end P1, bridge X1 with X2.
    const move = { callId: two.callId, legId: two.xLeg, toCallId: one.callId };
    await expect(edge(t.client.moveLeg, move)).resolves.toEqual({});
    await expect(edge(t.client.moveLeg, move)).resolves.toEqual({}); // a retry
    await expect(hangup(two.callId, two.xLeg)).rejects.toMatchObject({ code: status.NOT_FOUND });
    await hangup(two.callId, two.pLeg);
    await edge(t.client.notifyRefer, {
      callId: one.callId,
      legId: one.pLeg,
      referId: refer.fact.referReceived.referId,
      sipStatus: 200,
      reason: 'OK',
    });
    await hangup(one.callId, one.pLeg);
    const bridged = await edge<sipEdge.BridgeLegsRequest, sipEdge.BridgeLegsResponse>(t.client.bridgeLegs, {
      callId: one.callId,
      legAId: one.xLeg,
      legBId: two.xLeg,
      bridgeId: 'joined',
      idempotencyKey: 'joined',
    });
    const session = { sessionId: bridged.mediaSessionId };
    one.x.rtp.useRemote(await t.rtpengineSideOf({ ...session, tag: one.xLeg }));
    two.x.rtp.useRemote(await t.rtpengineSideOf({ ...session, tag: two.xLeg }));
    one.x.rtp.startTone(X1_HZ);
    two.x.rtp.startTone(X2_HZ);
    await hears(two.x.rtp, X1_HZ, 'X1 at X2');
    await hears(one.x.rtp, X2_HZ, 'X2 at X1');

    // X2's facts are call 1's now (with call 1's sequence); call 2 heard nothing of it since the move.
    await hangup(one.callId, two.xLeg);
    const ended = await t.fact('legEnded', (f) => f.legId === two.xLeg);
    expect(ended.callId).toBe(one.callId);
    const ofCall1 = t.factsOf(one.callId).map((f) => f.sourceSequence);
    expect(ofCall1).toEqual([...ofCall1].sort((a, b) => a - b));
    expect(new Set(ofCall1).size).toBe(ofCall1.length);
    await hangup(one.callId, one.xLeg);
    for (const { sipp } of [one.p, one.x, two.p, two.x]) t.expectSippSucceeded(await sipp.result);
  });

  it('answers NOT_FOUND for a leg in neither call', async () => {
    await expect(
      edge(t.client.moveLeg, { callId: 'no-call', legId: 'no-leg', toCallId: 'other' }),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
  });
});
