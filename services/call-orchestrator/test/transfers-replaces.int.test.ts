// A phone's REFER with Replaces (attended transfer from the phone), against the orchestrator wired
// in-process with the recording sip-edge: the phone P has call 1 (P1 bridged with X1) and call 2 (P2 bridged
// with X2) and REFERs on P1 naming P2's dialog. X2 moves from call 2 into call 1 and is bridged with X1; P1
// and P2 end. What each call records, in order, and what sip-edge is asked to do. Real phones: the e2e tests.
import { status } from '@grpc/grpc-js';
import { callEvents } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { decoded, startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';

const { BridgeEndReason, EndCause, Initiator, TransferFailureCause, TransferKind } = callEvents;

describe("a phone's REFER with Replaces", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  const until = (callId: string, type: string, count = 1) => h.until(callId, type, count);
  const sent: Harness['sent'] = (method, callId) => h.sent(method, callId);

  /** The phone's leg P (inbound, answered) bridged with X, whom the application dialled. */
  async function phoneCall(key: string) {
    const { callId, legId: p } = await h.answeredInboundCall();
    const { legId: x } = await h.client.dial({ callId, bridgeWithLegId: p, idempotencyKey: key });
    await until(callId, 'LegInitiated', 2);
    await h.sipEdge.answered(callId, x);
    await until(callId, 'LegsBridged');
    return { callId, p, x };
  }

  const referReplacing = (call1: { callId: string; p: string }, call2: { callId: string; p: string }) =>
    h.sipEdge.publishSipFact(call1.callId, call1.p, {
      $case: 'referReceived',
      referReceived: {
        referId: '9',
        referTo: 'sip:x2@127.0.0.1',
        referredBy: '<sip:p@127.0.0.1>',
        replacesCallId: call2.callId,
        replacesLegId: call2.p,
      },
    });

  it('moves the replaced call’s remote party into the REFER’s call and bridges it with the other one', async () => {
    const one = await phoneCall('dial-x1');
    const two = await phoneCall('dial-x2');
    await referReplacing(one, two);
    const events1 = await until(one.callId, 'TransferCompleted');
    expect(typesOf(events1).slice(typesOf(events1).indexOf('TransferRequested'))).toEqual([
      'TransferRequested',
      'LegMovedIn',
      'TransferProgress',
      'BridgeEnded',
      'LegEnded',
      'LegsBridged',
      'TransferCompleted',
    ]);
    const [requested] = decoded(events1, 'TransferRequested', callEvents.TransferRequested);
    expect(requested).toMatchObject({
      kind: TransferKind.TRANSFER_KIND_ATTENDED,
      by: Initiator.INITIATOR_REMOTE,
      transfereeLegId: one.x,
      transferorLegId: one.p,
      replacesCallId: two.callId,
      replacesLegId: two.p,
      awaitingDecision: false,
    });
    const transferId = requested!.transferId;
    expect(decoded(events1, 'LegMovedIn', callEvents.LegMovedIn)[0]).toMatchObject({
      legId: two.x,
      fromCallId: two.callId,
      transferId,
    });
    expect(decoded(events1, 'LegEnded', callEvents.LegEnded)[0]).toMatchObject({
      legId: one.p,
      cause: EndCause.END_CAUSE_TRANSFERRED,
    });
    expect(decoded(events1, 'LegsBridged', callEvents.LegsBridged).at(-1)).toMatchObject({
      legAId: one.x,
      legBId: two.x,
    });
    expect(decoded(events1, 'TransferCompleted', callEvents.TransferCompleted)[0]).toMatchObject({
      transferId,
      transfereeLegId: one.x,
      targetLegId: two.x,
    });

    const events2 = await until(two.callId, 'CallEnded');
    expect(typesOf(events2).slice(-4)).toEqual(['BridgeEnded', 'LegMovedOut', 'LegEnded', 'CallEnded']);
    expect(decoded(events2, 'BridgeEnded', callEvents.BridgeEnded).at(-1)).toMatchObject({
      reason: BridgeEndReason.BRIDGE_END_REASON_TRANSFER,
      transferId,
    });
    expect(decoded(events2, 'LegMovedOut', callEvents.LegMovedOut)[0]).toMatchObject({
      legId: two.x,
      toCallId: one.callId,
      transferId,
    });
    expect(decoded(events2, 'LegEnded', callEvents.LegEnded)[0]).toMatchObject({
      legId: two.p,
      cause: EndCause.END_CAUSE_REPLACED,
    });

    // sip-edge: the leg re-homed before the replaced leg is hung up; the phone told 200 before P1 goes.
    expect(h.sipEdge.received('moveLeg')).toContainEqual({
      callId: two.callId,
      legId: two.x,
      toCallId: one.callId,
    });
    await waitFor('P2 hung up', async () => sent('hangupLeg', two.callId).some((r) => r.legId === two.p));
    expect(sent('hangupLeg', one.callId).map((r) => r.legId)).toEqual([one.p]);
    expect(sent('bridgeLegs', one.callId).at(-1)).toMatchObject({ legAId: one.x, legBId: two.x });
    expect(sent('notifyRefer', one.callId).map((r) => [r.legId, r.referId, r.sipStatus])).toEqual([
      [one.p, '9', 200],
    ]);
    const order = h.sipEdge.requests.filter((r) => r.request.callId === one.callId).map((r) => r.method);
    expect(order.lastIndexOf('notifyRefer')).toBeLessThan(order.lastIndexOf('hangupLeg'));

    const view = await h.client.getCall(one.callId);
    expect(view.ended).toBe(false);
    expect(view.legs.map((l) => l.legId).sort()).toEqual([one.p, one.x, two.x].sort());
    // The moved leg's facts come on call 1 now: its BYE ends its bridge peer X1 and call 1.
    await h.sipEdge.ended(one.callId, two.x, EndCause.END_CAUSE_REMOTE_HANGUP, 0, 'BYE');
    await until(one.callId, 'CallEnded');
    await waitFor('X1 hung up', async () => sent('hangupLeg', one.callId).some((r) => r.legId === one.x));
  });

  it('a move sip-edge cannot make at once is retried; the transfer completes', async () => {
    const one = await phoneCall('dial-x1b');
    const two = await phoneCall('dial-x2b');
    h.sipEdge.failNext('moveLeg', status.UNAVAILABLE, 'sip-edge restarting');
    await referReplacing(one, two);
    await until(one.callId, 'TransferCompleted');
    await until(two.callId, 'CallEnded');
    expect(h.sipEdge.received('moveLeg').filter((r) => r.legId === two.x)).toHaveLength(2);
  });

  it('a replaced leg with no party to move fails the transfer (NOTIFY 503); both calls stay as they were', async () => {
    const one = await phoneCall('dial-x1c');
    const lone = await h.answeredInboundCall();
    await h.sipEdge.publishSipFact(one.callId, one.p, {
      $case: 'referReceived',
      referReceived: {
        referId: '4',
        referTo: 'sip:x2@127.0.0.1',
        referredBy: '',
        replacesCallId: lone.callId,
        replacesLegId: lone.legId,
      },
    });
    const events = await until(one.callId, 'TransferFailed');
    expect(decoded(events, 'TransferFailed', callEvents.TransferFailed)[0]).toMatchObject({
      cause: TransferFailureCause.TRANSFER_FAILURE_CAUSE_PLATFORM_FAILURE,
    });
    await waitFor('NOTIFY', async () => sent('notifyRefer', one.callId).length === 1);
    expect(sent('notifyRefer', one.callId)[0]).toMatchObject({ referId: '4', sipStatus: 503 });
    expect(sent('hangupLeg', one.callId)).toEqual([]);
    expect(typesOf(await h.stream(lone.callId))).not.toContain('LegMovedOut');
    expect((await h.client.getCall(one.callId)).ended).toBe(false);
  });
});
