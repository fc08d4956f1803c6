// A phone's REFER under REFER_POLICY=ask: the application decides with DecideTransfer, or the deadline
// applies the configured default. The recording sip-edge stands in for the SIP side. (A transfer that
// outlives its orchestrator, kill -9 in the middle of the move: test/orchestrator-process.e2e.test.ts.)
import { callEvents } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';

const { TransferFailureCause } = callEvents;
const TARGET = 'sip:carol@127.0.0.1:5090';
const DECISION_MS = 400;

describe("transfers: a phone's REFER under REFER_POLICY=ask", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      orchestrator: { referPolicy: { ask: true, decisionTimeoutMs: DECISION_MS, defaultAccept: false } },
    });
  });
  afterAll(() => h.stop());

  const sent = (method: Parameters<Harness['sipEdge']['received']>[0], callId: string) =>
    h.sipEdge.received(method).filter((r) => r.callId === callId);

  async function bridgedCall() {
    const { callId, legId: a } = await h.answeredInboundCall();
    const { legId: b } = await h.client.dial({ callId, bridgeWithLegId: a, idempotencyKey: 'dial-b' });
    await h.until(callId, 'LegInitiated', 2);
    await h.sipEdge.answered(callId, b);
    await h.until(callId, 'LegsBridged');
    return { callId, a, b };
  }
  const refer = (callId: string, legId: string, referId: string) =>
    h.sipEdge.publishSipFact(callId, legId, {
      $case: 'referReceived',
      referReceived: { referId, referTo: TARGET, referredBy: '', replacesCallId: '', replacesLegId: '' },
    });
  const requestedOf = async (callId: string, n = 1) =>
    callEvents.TransferRequested.fromJSON(
      (await h.until(callId, 'TransferRequested', n)).filter((e) => e.type === 'TransferRequested')[n - 1]!
        .data,
    );

  it('ask: the application accepts with DecideTransfer, and the target is dialled', async () => {
    const { callId, b } = await bridgedCall();
    await refer(callId, b, '3');
    const requested = await requestedOf(callId);
    expect(requested).toMatchObject({ awaitingDecision: true, decisionDeadlineMs: DECISION_MS });
    expect(sent('placeCall', callId)).toHaveLength(1); // B only: nothing dialled yet
    await h.client.api.decideTransfer({
      callId,
      transferId: requested.transferId,
      accept: true,
      sipStatus: 0,
    });
    await waitFor('target INVITE', async () =>
      sent('placeCall', callId).some((r) => r.legId === requested.targetLegId),
    );
    // The deadline, when it comes, finds the transfer decided.
    await new Promise((resolve) => setTimeout(resolve, DECISION_MS + 200));
    expect(typesOf(await h.stream(callId))).not.toContain('TransferFailed');
  });

  it('ask: no decision in time applies the default (decline here): TransferFailed and a NOTIFY 603', async () => {
    const { callId, b } = await bridgedCall();
    await refer(callId, b, '4');
    const events = await h.until(callId, 'TransferFailed');
    const failed = callEvents.TransferFailed.fromJSON(events.find((e) => e.type === 'TransferFailed')!.data);
    expect(failed).toMatchObject({
      cause: TransferFailureCause.TRANSFER_FAILURE_CAUSE_DECLINED,
      sipStatus: 603,
    });
    await waitFor('NOTIFY 603', async () =>
      sent('notifyRefer', callId).some((r) => r.referId === '4' && r.sipStatus === 603),
    );
    expect((await h.client.getCall(callId)).ended).toBe(false);
  });
});
