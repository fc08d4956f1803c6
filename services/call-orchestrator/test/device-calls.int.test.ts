// Calls from devices (DEVICE_CALL_ROUTING=platform) and calls to numbers and platform users, through
// sip-edge's facts and the public API, against the orchestrator wired in-process with the recording sip-edge
// standing in for the SIP side: what is recorded, and what sip-edge is asked to do (dial routed_to through
// the caller, refuse the caller, hang the callee up). Phones and carriers for real are the e2e tests'.
import { callStreamId, type RecordedEvent } from '@callctl/eventstore';
import { callEvents } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import type { RunningCallOrchestrator } from '../src/call-orchestrator.js';
import { decoded, startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';
import { refused } from './support/call-control-client.js';

const { EndCause, LegDirection } = callEvents;
const ALICE = 'sip:alice@pbx.example.com';
const BOB = 'sip:bob@pbx.example.com';
/** What sip-edge's classification says of alice's phone calling bob: her user, and bob as the route. */
const aliceCallsBob = { user: 'alice@pbx.example.com', routedTo: 'bob@pbx.example.com' };

const legEnded = (events: readonly RecordedEvent[], legId: string) =>
  decoded(events, 'LegEnded', callEvents.LegEnded).find((e) => e.legId === legId);

describe('device calls', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  /** Alice's phone calls: the platform dials routed_to; resolves with the caller and the callee legs. */
  async function deviceCall(classified = aliceCallsBob) {
    const { callId, legId: caller } = await h.sipEdge.offerInboundCall(ALICE, BOB, classified);
    await waitFor('callee dialled', async () => h.sent('placeCall', callId).length === 1);
    const callee = h.sent('placeCall', callId)[0]!.legId as string;
    await h.until(callId, 'LegInitiated', 2);
    return { callId, caller, callee };
  }

  it("dials where the dial plan routes a device's call, through the caller, and bridges them on the answer", async () => {
    const { callId, caller, callee } = await deviceCall();
    expect(h.sent('placeCall', callId)[0]).toMatchObject({
      toUri: BOB,
      fromUri: ALICE,
      bridgeWithLegId: caller,
    });
    const initiated = decoded(await h.stream(callId), 'LegInitiated', callEvents.LegInitiated);
    expect(initiated[0]).toMatchObject({
      legId: caller,
      direction: LegDirection.LEG_DIRECTION_INBOUND,
      ...aliceCallsBob,
    });
    expect(initiated[1]).toMatchObject({ legId: callee, direction: LegDirection.LEG_DIRECTION_OUTBOUND });

    // sip-edge relays the callee's 180 to the caller dialled through, and answers the caller when the callee
    // answers (a B2BUA): the orchestrator records both and bridges them, asking sip-edge for nothing more.
    await h.sipEdge.progress(callId, callee, 180);
    await h.until(callId, 'LegRinging', 2);
    await h.sipEdge.answered(callId, callee);
    await h.sipEdge.answered(callId, caller);
    const events = await h.until(callId, 'LegsBridged');
    expect(typesOf(events)).toEqual([
      'CallCreated',
      'LegInitiated',
      'LegRinging',
      'DialRequested',
      'LegInitiated',
      'LegRinging',
      'LegAnswered',
      'LegAnswered',
      'LegsBridged',
    ]);
    expect(decoded(events, 'LegsBridged', callEvents.LegsBridged)[0]).toMatchObject({
      legAId: caller,
      legBId: callee,
    });
    for (const method of ['answerLeg', 'rejectLeg', 'hangupLeg', 'bridgeLegs'] as const)
      expect(h.sent(method, callId)).toEqual([]);
  });

  it.each([
    ['BUSY', 486, 486],
    ['NOT_REGISTERED', 480, 480],
    ['NO_ROUTE', 404, 404],
    ['NO_ANSWER', 487, 480], // 487: the platform's own CANCEL at the ring timeout
  ] as const)(
    "refuses the caller with the callee's cause %s (callee's status %s: the caller gets %s)",
    async (name, calleeStatus, callerStatus) => {
      const cause = EndCause[`END_CAUSE_${name}`];
      const { callId, caller, callee } = await deviceCall();
      await h.sipEdge.ended(callId, callee, cause, calleeStatus);
      const events = await h.until(callId, 'CallEnded');
      expect(h.sent('rejectLeg', callId)).toEqual([
        expect.objectContaining({ legId: caller, sipStatus: callerStatus }),
      ]);
      expect(legEnded(events, caller)).toMatchObject({ cause, sipStatus: callerStatus });
      expect(decoded(events, 'CallEnded', callEvents.CallEnded)[0]!.cause).toBe(cause);
    },
  );

  it('hangs the callee up when the caller cancels while it rings', async () => {
    const { callId, caller, callee } = await deviceCall();
    await h.sipEdge.progress(callId, callee, 180);
    await h.sipEdge.ended(callId, caller, EndCause.END_CAUSE_CANCELLED, 487);
    const events = await h.until(callId, 'CallEnded');
    expect(h.sent('hangupLeg', callId)).toEqual([expect.objectContaining({ legId: callee })]);
    expect(legEnded(events, callee)).toMatchObject({ cause: EndCause.END_CAUSE_BRIDGE_PEER_ENDED });
    expect(decoded(events, 'CallEnded', callEvents.CallEnded)[0]!.cause).toBe(
      EndCause.END_CAUSE_BRIDGE_PEER_ENDED,
    );
    expect(h.sent('rejectLeg', callId)).toEqual([]);
  });

  it("records a trunk's failed gateway attempts and ends the caller with the last one's status", async () => {
    const number = '+442071234567';
    h.sipEdge.routes.set(number, { trunk: 'carrier' });
    const { callId, caller, callee } = await deviceCall({ ...aliceCallsBob, routedTo: number });
    expect(h.sent('placeCall', callId)[0]).toMatchObject({ toUri: number, bridgeWithLegId: caller });
    const attempt = (n: number, sipStatus: number, failover: boolean) =>
      h.sipEdge.publishSipFact(callId, callee, {
        $case: 'outboundAttemptFailed',
        outboundAttemptFailed: {
          attempt: n,
          trunk: 'carrier',
          gateway: `127.0.0.${n}:5060;transport=udp`,
          requestUri: `sip:442071234567@127.0.0.${n}:5060`,
          sipStatus,
          reason: `SIP ${sipStatus}`,
          failover,
        },
      });
    await attempt(1, 503, true);
    await attempt(2, 408, false);
    await h.sipEdge.ended(callId, callee, EndCause.END_CAUSE_UNREACHABLE, 408);
    const events = await h.until(callId, 'CallEnded');
    expect(decoded(events, 'LegInitiated', callEvents.LegInitiated)[1]).toMatchObject({
      legId: callee,
      trunk: 'carrier',
    });
    expect(decoded(events, 'LegAttemptFailed', callEvents.LegAttemptFailed)).toEqual([
      expect.objectContaining({
        legId: callee,
        attempt: 1,
        sipStatus: 503,
        failover: true,
        trunk: 'carrier',
      }),
      expect.objectContaining({ legId: callee, attempt: 2, sipStatus: 408, failover: false }),
    ]);
    expect(legEnded(events, caller)).toMatchObject({ cause: EndCause.END_CAUSE_UNREACHABLE, sipStatus: 408 });
  });

  it("leaves a trunk's call (no device, no route) to the application", async () => {
    const { callId, legId } = await h.sipEdge.offerInboundCall('sip:+441234@127.0.0.9', BOB, {
      trunk: 'carrier',
    });
    await h.until(callId, 'LegRinging');
    await h.client.answerLeg(callId, legId);
    expect(h.sent('placeCall', callId)).toEqual([]);
    expect(decoded(await h.stream(callId), 'LegInitiated', callEvents.LegInitiated)[0]).toMatchObject({
      trunk: 'carrier',
    });
    expect(decoded(await h.stream(callId), 'LegInitiated', callEvents.LegInitiated)[0]!.user).toBeUndefined();
  });

  it('calls numbers, tel: URIs and platform users, which sip-edge routes; refuses anything else', async () => {
    for (const [toUri, key] of [
      ['+442071234567', 'cc-e164'],
      ['tel:+442071234567', 'cc-tel'],
      ['02071234567', 'cc-digits'],
      [BOB, 'cc-user'],
    ] as const) {
      const { callId } = await h.client.createCall({ toUri, idempotencyKey: key });
      await waitFor('INVITE asked for', async () => h.sent('placeCall', callId).length === 1);
      expect(h.sent('placeCall', callId)[0]).toMatchObject({ toUri });
    }
    const { callId, legId } = await h.answeredInboundCall();
    const { legId: dialled } = await h.client.dial({
      callId,
      bridgeWithLegId: legId,
      toUri: 'tel:+442071234567',
      idempotencyKey: 'dial-tel',
    });
    await waitFor('Dial INVITE asked for', async () =>
      h.sent('placeCall', callId).some((r) => r.legId === dialled && r.toUri === 'tel:+442071234567'),
    );
    for (const toUri of ['alice', 'mailto:bob@example.com', '+44 20 7123 4567'])
      expect((await refused(h.client.createCall({ toUri, idempotencyKey: `bad-${toUri}` }))).code).toBe(
        'INVALID_ARGUMENT',
      );
  });
});

describe('device calls: DEVICE_CALL_ROUTING=app, and restarts', () => {
  let h: Harness;
  /** The processes a test started on the harness's log (a restart); closed after it. */
  const started: RunningCallOrchestrator[] = [];
  beforeAll(async () => {
    h = await startHarness({ orchestrator: { deviceCallRouting: 'app' } });
  });
  afterEach(async () => {
    for (const o of started.splice(0)) await o.close();
  });
  afterAll(() => h.stop());

  const startPlatformRouting = async () => {
    const o = await h.startAnother({ deviceCallRouting: 'platform' });
    started.push(o);
    return o;
  };
  const typesIn = async (o: RunningCallOrchestrator, callId: string) =>
    typesOf(await o.store.readStream(callStreamId(callId)));

  it("leaves a device's call to the application with DEVICE_CALL_ROUTING=app; a platform-routing orchestrator started later dials it from the log", async () => {
    const { callId, legId: caller } = await h.sipEdge.offerInboundCall(ALICE, BOB, aliceCallsBob);
    await h.until(callId, 'LegRinging');
    expect(h.sent('placeCall', callId)).toEqual([]);

    await h.orchestrator.close();
    const next = await startPlatformRouting();
    await waitFor('callee dialled at start', async () => h.sent('placeCall', callId).length === 1);
    expect(h.sent('placeCall', callId)[0]).toMatchObject({ toUri: BOB, bridgeWithLegId: caller });
    await waitFor('DialRequested recorded', async () =>
      (await typesIn(next, callId)).includes('DialRequested'),
    );
  });

  it('carries a device call on after a restart: the callee fails while no orchestrator runs, the next one refuses the caller', async () => {
    const first = await startPlatformRouting();
    const { callId, legId: caller } = await h.sipEdge.offerInboundCall(ALICE, BOB, aliceCallsBob);
    await waitFor('callee dialled', async () => h.sent('placeCall', callId).length === 1);
    const callee = h.sent('placeCall', callId)[0]!.legId as string;
    await waitFor(
      'callee initiated',
      async () => (await typesIn(first, callId)).filter((t) => t === 'LegInitiated').length === 2,
    );
    await first.close();

    // The fact waits in CALLCTL_FACTS; the next process knows the callee from the log (the Dial's key).
    await h.sipEdge.ended(callId, callee, EndCause.END_CAUSE_BUSY, 486);
    const next = await startPlatformRouting();
    await waitFor('caller refused', async () => (await typesIn(next, callId)).includes('CallEnded'));
    expect(legEnded(await next.store.readStream(callStreamId(callId)), caller)).toMatchObject({
      cause: EndCause.END_CAUSE_BUSY,
      sipStatus: 486,
    });
    expect(h.sent('placeCall', callId)).toHaveLength(1); // dialled once, across both processes
  });
});
