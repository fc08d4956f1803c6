// Transfers through the public API and sip-edge's facts, against the orchestrator wired in-process with the
// recording sip-edge standing in for the SIP side: what is recorded, in which order, and what sip-edge is
// asked to do (INVITE the target, hang the transferor up, bridge, REFER, NOTIFY). Real phones are the e2e
// tests' (e2e/test/transfers-phones.e2e.test.ts).
import { status } from '@grpc/grpc-js';
import { callEvents, sipEdge } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { decoded, startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';
import { refused } from './support/call-control-client.js';

const { EndCause, Initiator, TransferFailureCause, TransferMode, BridgeEndReason } = callEvents;
const TARGET = 'sip:carol@127.0.0.1:5090';

describe('transfers', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  const until = (callId: string, type: string, count = 1) => h.until(callId, type, count);
  const sent: Harness['sent'] = (method, callId) => h.sent(method, callId);

  const bridgedCall = () => h.bridgedCall();

  const transfer = (callId: string, legId: string, more: Record<string, unknown> = {}) =>
    h.client.api.transferLeg({
      callId,
      legId,
      target: TARGET,
      mode: TransferMode.TRANSFER_MODE_BRIDGE,
      fromUri: '',
      timeoutMs: 0,
      releaseOnFailure: false,
      idempotencyKey: 'xfer-1',
      ...more,
    });

  it('refuses what the contract refuses', async () => {
    const { callId, legId } = await h.inboundCall();
    expect((await refused(transfer(callId, legId))).code).toBe('FAILED_PRECONDITION'); // not answered
    expect((await refused(transfer(callId, 'no-such-leg'))).code).toBe('NOT_FOUND');
    expect((await refused(transfer(callId, legId, { target: 'mailto:x@y' }))).code).toBe('INVALID_ARGUMENT');
    expect((await refused(transfer(callId, legId, { idempotencyKey: '' }))).code).toBe('INVALID_ARGUMENT');
    expect(
      (await refused(h.client.api.decideTransfer({ callId, transferId: 'nope', accept: true, sipStatus: 0 })))
        .code,
    ).toBe('NOT_FOUND');
  });

  it('BRIDGE: dials the target, releases the transferor when it answers and bridges the transferee with it', async () => {
    const { callId, a, b } = await bridgedCall();
    const { transferId, targetLegId } = await transfer(callId, a);
    expect(await transfer(callId, a)).toEqual({ transferId, targetLegId }); // same key, same transfer
    await until(callId, 'DialRequested', 2);
    await waitFor('target INVITE', async () =>
      sent('placeCall', callId).some((r) => r.legId === targetLegId),
    );
    expect(sent('placeCall', callId).find((r) => r.legId === targetLegId)).toMatchObject({
      toUri: TARGET,
      bridgeWithLegId: '',
      fromUri: 'sip:caller@127.0.0.1', // the transferee's own URI
    });
    expect((await refused(transfer(callId, a, { idempotencyKey: 'xfer-2' }))).code).toBe(
      'FAILED_PRECONDITION',
    );
    await h.sipEdge.publishSipFact(callId, targetLegId, {
      $case: 'legProgress',
      legProgress: { earlyMedia: false, sipStatus: 180 },
    });
    await until(callId, 'TransferProgress');
    await h.sipEdge.answered(callId, targetLegId);
    const events = await until(callId, 'TransferCompleted');
    expect(typesOf(events).slice(8)).toEqual([
      'TransferRequested',
      'DialRequested',
      'LegInitiated',
      'LegRinging',
      'TransferProgress',
      'LegAnswered',
      'TransferProgress',
      'BridgeEnded',
      'LegEnded',
      'LegsBridged',
      'TransferCompleted',
    ]);
    const [requested] = decoded(events, 'TransferRequested', callEvents.TransferRequested);
    expect(requested).toMatchObject({
      transfereeLegId: a,
      transferorLegId: b,
      targetLegId,
      by: Initiator.INITIATOR_API,
    });
    expect(decoded(events, 'TransferProgress', callEvents.TransferProgress).map((p) => p.sipStatus)).toEqual([
      180, 200,
    ]);
    expect(decoded(events, 'BridgeEnded', callEvents.BridgeEnded)[0]).toMatchObject({
      reason: BridgeEndReason.BRIDGE_END_REASON_TRANSFER,
      transferId,
    });
    expect(decoded(events, 'LegEnded', callEvents.LegEnded)[0]).toMatchObject({
      legId: b,
      cause: EndCause.END_CAUSE_TRANSFERRED,
    });
    expect(decoded(events, 'LegsBridged', callEvents.LegsBridged).at(-1)).toMatchObject({
      legAId: a,
      legBId: targetLegId,
    });
    expect(sent('hangupLeg', callId).map((r) => r.legId)).toEqual([b]);
    expect(sent('bridgeLegs', callId)).toEqual([expect.objectContaining({ legAId: a, legBId: targetLegId })]);
    // B's end, as sip-edge reports it, is the transfer's: A is not hung up with it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(sent('hangupLeg', callId).map((r) => r.legId)).toEqual([b]);
    expect((await h.client.getCall(callId)).ended).toBe(false);
  });

  it('BRIDGE: a busy target fails the transfer and leaves the transferee with its transferor', async () => {
    const { callId, a, b } = await bridgedCall();
    const { transferId, targetLegId } = await transfer(callId, a);
    await until(callId, 'LegInitiated', 3);
    await h.sipEdge.ended(callId, targetLegId, EndCause.END_CAUSE_BUSY, 486, 'Busy Here');
    const events = await until(callId, 'TransferFailed');
    expect(decoded(events, 'TransferFailed', callEvents.TransferFailed)[0]).toMatchObject({
      transferId,
      cause: TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_BUSY,
      sipStatus: 486,
      transfereeReleased: false,
    });
    const view = await h.client.getCall(callId);
    expect(view.legs.find((l) => l.legId === a)?.bridgedWithLegId).toBe(b);
    expect(sent('hangupLeg', callId)).toEqual([]);
  });

  it('BRIDGE with release_on_failure: the transferee is hung up when the target fails', async () => {
    const { callId, a } = await bridgedCall();
    const { targetLegId } = await transfer(callId, a, { releaseOnFailure: true });
    await until(callId, 'LegInitiated', 3);
    await h.sipEdge.ended(callId, targetLegId, EndCause.END_CAUSE_NO_ANSWER, 480, 'Temporarily Unavailable');
    const events = await until(callId, 'TransferFailed');
    expect(decoded(events, 'TransferFailed', callEvents.TransferFailed)[0]).toMatchObject({
      cause: TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_NO_ANSWER,
      transfereeReleased: true,
    });
    await waitFor('transferee hung up', async () => sent('hangupLeg', callId).some((r) => r.legId === a));
  });

  it('BRIDGE: a refused re-INVITE while moving the legs fails the transfer (PLATFORM_FAILURE) with nothing left up half-done', async () => {
    const { callId, a, b } = await bridgedCall();
    const { targetLegId } = await transfer(callId, a);
    await until(callId, 'LegInitiated', 3);
    h.sipEdge.failNext('bridgeLegs', status.FAILED_PRECONDITION, 'leg refused the re-INVITE: 488');
    await h.sipEdge.answered(callId, targetLegId);
    const events = await until(callId, 'TransferFailed');
    expect(decoded(events, 'TransferFailed', callEvents.TransferFailed)[0]).toMatchObject({
      cause: TransferFailureCause.TRANSFER_FAILURE_CAUSE_PLATFORM_FAILURE,
    });
    // The transferor was released before the bridge was refused: the target and the transferee go too.
    await waitFor('all hung up', async () =>
      [a, b, targetLegId].every((id) => sent('hangupLeg', callId).some((r) => r.legId === id)),
    );
    await until(callId, 'CallEnded');
  });

  it("a phone's REFER (perform): dials the target with Referred-By, NOTIFYs the phone, moves its peer", async () => {
    const { callId, a, b } = await bridgedCall();
    await h.sipEdge.publishSipFact(callId, b, {
      $case: 'referReceived',
      referReceived: {
        referId: '7',
        referTo: TARGET,
        referredBy: '<sip:bob@127.0.0.1>',
        replacesCallId: '',
        replacesLegId: '',
      },
    });
    const requested = decoded(
      await until(callId, 'TransferRequested'),
      'TransferRequested',
      callEvents.TransferRequested,
    )[0]!;
    expect(requested).toMatchObject({
      by: Initiator.INITIATOR_REMOTE,
      transfereeLegId: a,
      transferorLegId: b,
      targetUri: TARGET,
      referredBy: '<sip:bob@127.0.0.1>',
      awaitingDecision: false,
    });
    const t = requested.targetLegId;
    await waitFor('target INVITE', async () => sent('placeCall', callId).some((r) => r.legId === t));
    expect(sent('placeCall', callId).find((r) => r.legId === t)).toMatchObject({
      headers: { 'Referred-By': '<sip:bob@127.0.0.1>' },
    });
    await until(callId, 'LegInitiated', 3);
    await h.sipEdge.publishSipFact(callId, t, {
      $case: 'legProgress',
      legProgress: { earlyMedia: false, sipStatus: 180 },
    });
    await waitFor('NOTIFY 180', async () => sent('notifyRefer', callId).some((r) => r.sipStatus === 180));
    await h.sipEdge.answered(callId, t);
    await until(callId, 'TransferCompleted');
    const notifies = sent('notifyRefer', callId);
    expect(notifies.map((r) => [r.legId, r.referId, r.sipStatus])).toEqual([
      [b, '7', 180],
      [b, '7', 200],
    ]);
    // The 200 went before the phone's leg was released.
    const order = h.sipEdge.requests.filter((r) => r.request.callId === callId).map((r) => r.method);
    expect(order.lastIndexOf('notifyRefer')).toBeLessThan(order.lastIndexOf('hangupLeg'));
  });

  it("a phone's REFER from a leg bridged with nobody, or with Replaces, is declined (NOTIFY 403 / 501)", async () => {
    const { callId, legId } = await h.answeredInboundCall();
    const refer = (referId: string, replacesLegId = '') =>
      h.sipEdge.publishSipFact(callId, legId, {
        $case: 'referReceived',
        referReceived: { referId, referTo: TARGET, referredBy: '', replacesCallId: '', replacesLegId },
      });
    await refer('1');
    await until(callId, 'TransferFailed');
    await refer('2', 'other-leg');
    const events = await until(callId, 'TransferFailed', 2);
    expect(
      decoded(events, 'TransferFailed', callEvents.TransferFailed).map((f) => [f.cause, f.sipStatus]),
    ).toEqual([
      [TransferFailureCause.TRANSFER_FAILURE_CAUSE_DECLINED, 403],
      [TransferFailureCause.TRANSFER_FAILURE_CAUSE_DECLINED, 501],
    ]);
    await waitFor('NOTIFYs', async () => sent('notifyRefer', callId).length === 2);
    expect(sent('notifyRefer', callId).map((r) => [r.referId, r.sipStatus])).toEqual([
      ['1', 403],
      ['2', 501],
    ]);
  });

  it('REFER mode: REFERs the transferee; a final 2xx NOTIFY completes it and releases both parties', async () => {
    const { callId, a, b } = await bridgedCall();
    const { transferId, targetLegId } = await transfer(callId, a, { mode: TransferMode.TRANSFER_MODE_REFER });
    expect(targetLegId).toBe('');
    await waitFor('REFER', async () => sent('referLeg', callId).length === 1);
    expect(sent('referLeg', callId)[0]).toMatchObject({
      legId: a,
      transferId,
      referTo: TARGET,
      timeoutMs: 60_000,
    });
    const progress = (sipStatus: number, final: boolean) =>
      h.sipEdge.publishSipFact(callId, a, {
        $case: 'referProgress',
        referProgress: { transferId, sipStatus, reason: '', final },
      });
    await progress(100, false);
    await until(callId, 'TransferProgress');
    await progress(200, true);
    const events = await until(callId, 'CallEnded');
    expect(typesOf(events).slice(-6)).toEqual([
      'TransferProgress',
      'TransferCompleted',
      'BridgeEnded',
      'LegEnded',
      'LegEnded',
      'CallEnded',
    ]);
    expect(decoded(events, 'LegEnded', callEvents.LegEnded).map((e) => [e.legId, e.cause])).toEqual([
      [a, EndCause.END_CAUSE_TRANSFERRED],
      [b, EndCause.END_CAUSE_TRANSFERRED],
    ]);
    expect(
      sent('hangupLeg', callId)
        .map((r) => r.legId)
        .sort(),
    ).toEqual([a, b].sort());
  });

  it('REFER mode: a phone refusing the REFER fails the transfer (REFER_REJECTED); the call goes on', async () => {
    const { callId, a } = await bridgedCall();
    h.sipEdge.failNext('referLeg', status.FAILED_PRECONDITION, 'REFER refused: 603 Decline');
    await refused(transfer(callId, a, { mode: TransferMode.TRANSFER_MODE_REFER }));
    const events = await until(callId, 'TransferFailed');
    expect(decoded(events, 'TransferFailed', callEvents.TransferFailed)[0]).toMatchObject({
      cause: TransferFailureCause.TRANSFER_FAILURE_CAUSE_REFER_REJECTED,
    });
    expect((await h.client.getCall(callId)).ended).toBe(false);
  });

  describe('consultation', () => {
    const { ConsultationOutcome, BridgeEndReason: Reason } = callEvents;
    const { MediaDirection } = sipEdge;
    const consult = (callId: string, heldLegId: string, key: string) =>
      h.client.api.startConsultation({
        callId,
        heldLegId,
        target: TARGET,
        fromUri: '',
        ringTimeoutMs: 0,
        idempotencyKey: key,
      });
    /** A consulting with the target answered and bridged with B. */
    async function consulting(key: string) {
      const { callId, a, b } = await bridgedCall();
      const { transferId, consultationLegId: c } = await consult(callId, a, key);
      await waitFor('target INVITE', async () => sent('placeCall', callId).some((r) => r.legId === c));
      await until(callId, 'LegInitiated', 3);
      await h.sipEdge.answered(callId, c);
      await until(callId, 'ConsultationStarted');
      return { callId, a, b, c, transferId };
    }

    it('holds A apart from B, dials the target and bridges B with it when it answers', async () => {
      const { callId, a, b, c, transferId } = await consulting('consult-1');
      const events = await h.stream(callId);
      expect(typesOf(events).slice(8)).toEqual([
        'TransferRequested',
        'BridgeEnded',
        'LegHeld',
        'DialRequested',
        'LegInitiated',
        'LegAnswered',
        'TransferProgress',
        'LegsBridged',
        'ConsultationStarted',
      ]);
      expect(decoded(events, 'BridgeEnded', callEvents.BridgeEnded)[0]).toMatchObject({
        reason: Reason.BRIDGE_END_REASON_CONSULTATION,
        transferId,
      });
      expect(sent('unbridgeLegs', callId)).toEqual([
        expect.objectContaining({ legAId: a, legBId: b, holdA: true }),
      ]);
      expect(sent('setLegDirection', callId)[0]).toMatchObject({
        legId: a,
        direction: MediaDirection.MEDIA_DIRECTION_INACTIVE, // no music: silence
      });
      expect(sent('bridgeLegs', callId).at(-1)).toMatchObject({ legAId: b, legBId: c });
      expect((await h.client.getCall(callId)).legs.find((l) => l.legId === a)?.heldBy).toBe(
        Initiator.INITIATOR_API,
      );
      expect((await refused(h.client.api.resumeLeg({ callId, legId: a }))).code).toBe('FAILED_PRECONDITION');
    });

    it('CompleteTransfer: B released, A resumed and bridged with the target', async () => {
      const { callId, a, b, c, transferId } = await consulting('consult-2');
      await h.client.api.completeTransfer({ callId, transferId });
      const events = await until(callId, 'ConsultationEnded');
      expect(typesOf(events).slice(-6)).toEqual([
        'BridgeEnded',
        'LegEnded',
        'LegResumed',
        'LegsBridged',
        'TransferCompleted',
        'ConsultationEnded',
      ]);
      expect(decoded(events, 'ConsultationEnded', callEvents.ConsultationEnded)[0]?.outcome).toBe(
        ConsultationOutcome.CONSULTATION_OUTCOME_TRANSFERRED,
      );
      expect(sent('hangupLeg', callId).map((r) => r.legId)).toEqual([b]);
      expect(sent('setLegDirection', callId).at(-1)).toMatchObject({
        legId: a,
        direction: MediaDirection.MEDIA_DIRECTION_SENDRECV,
      });
      expect(sent('bridgeLegs', callId).at(-1)).toMatchObject({ legAId: a, legBId: c });
      expect((await refused(h.client.api.completeTransfer({ callId, transferId }))).code).toBe(
        'FAILED_PRECONDITION',
      );
      await new Promise((resolve) => setTimeout(resolve, 300)); // B's reported end hangs nobody up
      expect(sent('hangupLeg', callId).map((r) => r.legId)).toEqual([b]);
    });

    it('CancelConsultation: the target hung up, A resumed and bridged with B again', async () => {
      const { callId, a, b, c, transferId } = await consulting('consult-3');
      await h.client.api.cancelConsultation({ callId, transferId });
      const events = await until(callId, 'ConsultationEnded');
      expect(decoded(events, 'TransferFailed', callEvents.TransferFailed)[0]?.cause).toBe(
        TransferFailureCause.TRANSFER_FAILURE_CAUSE_CANCELLED,
      );
      expect(decoded(events, 'ConsultationEnded', callEvents.ConsultationEnded)[0]?.outcome).toBe(
        ConsultationOutcome.CONSULTATION_OUTCOME_CANCELLED,
      );
      expect(sent('hangupLeg', callId).map((r) => r.legId)).toEqual([c]);
      expect(sent('bridgeLegs', callId).at(-1)).toMatchObject({ legAId: a, legBId: b });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sent('hangupLeg', callId).map((r) => r.legId)).toEqual([c]);
      expect((await h.client.getCall(callId)).ended).toBe(false);
    });

    it('a busy target ends it (TARGET_FAILED): A goes back to B', async () => {
      const { callId, a, b } = await bridgedCall();
      const { consultationLegId: c } = await consult(callId, a, 'consult-4');
      await until(callId, 'LegInitiated', 3);
      await h.sipEdge.ended(callId, c, EndCause.END_CAUSE_BUSY, 486, 'Busy Here');
      const events = await until(callId, 'ConsultationEnded');
      expect(decoded(events, 'ConsultationEnded', callEvents.ConsultationEnded)[0]?.outcome).toBe(
        ConsultationOutcome.CONSULTATION_OUTCOME_TARGET_FAILED,
      );
      expect(sent('bridgeLegs', callId).at(-1)).toMatchObject({ legAId: a, legBId: b });
      expect(sent('hangupLeg', callId)).toEqual([]);
    });
  });
});
