// The public CallControl API over a real event log (PostgreSQL) and real NATS JetStream, with sip-edge's
// side played by the recording SipEdge server (test/support/recording-sip-edge.ts).
import { status } from '@grpc/grpc-js';
import { callControl, callEvents } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { CALL_EVENTS_STREAM, callEventsOfCall, FACTS_STREAM } from '@callctl/bus';
import { toCallEvent } from '../src/app/call-repository.js';
import { catchUpProjection, rebuildProjection } from '@callctl/eventstore';
import { activeCallsProjection } from '../src/adapters/eventlog/active-calls.js';
import { LegReconciler } from '../src/app/process-managers/leg-reconciler.js';
import { systemIds } from '../src/adapters/ids.js';
import { sipEdgeClient } from '../src/adapters/sip-edge/sip-edge-client.js';
import { createLogger } from '@callctl/logging';
import { foldEvents } from '../src/domain/call.state.js';
import { SIP_EDGE_RING_BACKSTOP_MS } from '../src/app/capabilities/legs.effects.js';
import { refused } from './support/call-control-client.js';
import { startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';

jest.setTimeout(30_000);

const { EndCause } = callEvents;
const { LegState } = callControl;

let h: Harness;
const afterThis: Array<() => void> = [];
afterEach(() => afterThis.splice(0).forEach((f) => f()));
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

describe('bad input: a clear status and nothing written', () => {
  it.each([
    [
      'a malformed SIP URI',
      { toUri: 'sip:bob@', idempotencyKey: 'k-bad-uri' },
      /to_uri is not a valid number, SIP URI or tel: URI/,
    ],
    ['a URI that is not SIP', { toUri: 'mailto:bob@example.com', idempotencyKey: 'k-mailto' }, /to_uri/],
    ['no idempotency key', { idempotencyKey: '' }, /idempotency_key is required/],
    ['a missing From', { fromUri: '', idempotencyKey: 'k-from' }, /from_uri is required/],
    ['an oversized client_state', { clientState: 'x'.repeat(5000), idempotencyKey: 'k-big' }, /client_state/],
  ])('CreateCall with %s is INVALID_ARGUMENT', async (_what, request, message) => {
    const before = await h.eventCount();
    const placed = h.sipEdge.received('placeCall').length;
    const error = await refused(h.client.createCall(request));
    expect(error.status).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(message);
    expect(await h.eventCount()).toBe(before);
    expect(h.sipEdge.received('placeCall')).toHaveLength(placed);
  });

  it('answers NOT_FOUND for an unknown call, writing nothing', async () => {
    const before = await h.eventCount();
    const error = await refused(h.client.answerLeg('no-such-call', 'leg'));
    expect(error.status).toBe(status.NOT_FOUND);
    expect(await h.eventCount()).toBe(before);
  });

  it('answers INVALID_ARGUMENT for a call id that cannot be one', async () => {
    const error = await refused(h.client.hangup('not a call id!'));
    expect(error.status).toBe(status.INVALID_ARGUMENT);
  });

  it('answers FAILED_PRECONDITION saying which state refused, writing nothing', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    const before = await h.eventCount();
    const error = await refused(h.client.answerLeg(callId, legId));
    expect(error.status).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toContain(`leg ${legId} is answered`);
    expect(await h.eventCount()).toBe(before);
    expect(h.sipEdge.received('answerLeg').filter((r) => r.legId === legId)).toHaveLength(1);
  });

  it('answers NOT_FOUND for an unknown leg of a known call', async () => {
    const { callId } = await h.inboundCall();
    const error = await refused(h.client.answerLeg(callId, 'no-such-leg'));
    expect(error.status).toBe(status.NOT_FOUND);
    expect(error.details).toContain('no-such-leg');
  });

  it('answers ALREADY_EXISTS when a key is reused for another call', async () => {
    const first = await h.client.createCall({ idempotencyKey: 'k-reused', toUri: 'sip:first@127.0.0.1' });
    await waitFor('the INVITE recorded', async () => (await h.stream(first.callId)).length === 3);
    const before = await h.eventCount();
    const error = await refused(
      h.client.createCall({ idempotencyKey: 'k-reused', toUri: 'sip:second@127.0.0.1' }),
    );
    expect(error.status).toBe(status.ALREADY_EXISTS);
    expect(await h.eventCount()).toBe(before);
  });

  it('passes a peer failure on as its status and records nothing', async () => {
    const { callId, legId } = await h.inboundCall();
    const before = await h.eventCount();
    h.sipEdge.failNext('answerLeg', status.UNAVAILABLE, 'SIP engine not connected');
    const error = await refused(h.client.answerLeg(callId, legId));
    expect(error.status).toBe(status.UNAVAILABLE);
    expect(error.details).toBe('sip-edge unavailable: SIP engine not connected'); // names the peer
    expect(await h.eventCount()).toBe(before);
    await h.client.answerLeg(callId, legId); // the retry goes through
    expect((await h.client.getCall(callId)).legs[0]!.state).toBe(LegState.LEG_STATE_ANSWERED);
  });
});

describe('a peer that does not answer in time', () => {
  it('is DEADLINE_EXCEEDED with nothing written; what sip-edge did late is recorded from its fact', async () => {
    const { callId, legId } = await h.inboundCall();
    const before = await h.eventCount();
    const release = h.sipEdge.holdNext('answerLeg');
    const error = await refused(h.client.answerLeg(callId, legId));
    expect(error.status).toBe(status.DEADLINE_EXCEEDED);
    expect(error.details).toContain('sip-edge');
    expect(await h.eventCount()).toBe(before);
    release(); // sip-edge answers after all, and reports it
    await waitFor(
      'the late answer recorded',
      async () => (await h.client.getCall(callId)).legs[0]!.state === LegState.LEG_STATE_ANSWERED,
    );
  });
});

describe('CreateCall', () => {
  it('records the call, places the INVITE through sip-edge, and records the INVITE it sent', async () => {
    const { callId, legId } = await h.client.createCall({
      idempotencyKey: 'k-create-1',
      toUri: 'sip:bob@127.0.0.1:5090',
      clientState: 'ctx-1',
    });
    expect(h.sipEdge.received('placeCall')).toContainEqual(
      expect.objectContaining({
        callId,
        legId,
        toUri: 'sip:bob@127.0.0.1:5090',
        // The orchestrator's deadline decides; sip-edge's timer is a backstop a second later.
        ringTimeoutMs: 30_000 + SIP_EDGE_RING_BACKSTOP_MS,
        bridgeWithLegId: '',
      }),
    );
    const events = await waitFor('OutboundLegSent recorded', async () => {
      const s = await h.stream(callId);
      return s.length === 3 && s;
    });
    expect(typesOf(events)).toEqual(['CallCreated', 'DialRequested', 'LegInitiated']);
    expect(events[2]!.data).toMatchObject({ sipCallId: `${legId}@127.0.0.1`, clientState: 'ctx-1' });
  });

  it('answers a replay of the key with the first ids, appending nothing and sending no second INVITE', async () => {
    const first = await h.client.createCall({ idempotencyKey: 'k-replay' });
    await waitFor('the INVITE recorded', async () => (await h.stream(first.callId)).length === 3);
    const before = await h.eventCount();
    const again = await h.client.createCall({ idempotencyKey: 'k-replay' });
    expect(again).toEqual(first);
    expect(h.sipEdge.received('placeCall').filter((r) => r.callId === first.callId)).toHaveLength(1);
    expect((await h.stream(first.callId)).filter((e) => e.type === 'CallCreated')).toHaveLength(1);
    expect(await h.eventCount()).toBe(before);
  });

  it('ends the leg when sip-edge cannot send the INVITE, and says why', async () => {
    h.sipEdge.failNext('placeCall', status.UNAVAILABLE, 'no SIP engine');
    const error = await refused(h.client.createCall({ idempotencyKey: 'k-unavailable' }));
    expect(error.status).toBe(status.UNAVAILABLE);
    const placed = h.sipEdge.received('placeCall').at(-1)!;
    const call = await h.client.getCall(placed.callId as string);
    expect(call.ended).toBe(true);
    expect(call.legs[0]).toMatchObject({
      state: LegState.LEG_STATE_ENDED,
      endCause: EndCause.END_CAUSE_PLATFORM_FAILURE,
    });
  });
});

describe('facts from sip-edge', () => {
  it('records an inbound call under the ids sip-edge chose', async () => {
    const { callId, legId } = await h.inboundCall();
    const call = await h.client.getCall(callId);
    expect(call.legs).toEqual([
      expect.objectContaining({
        legId,
        state: LegState.LEG_STATE_RINGING,
        direction: callEvents.LegDirection.LEG_DIRECTION_INBOUND,
      }),
    ]);
  });

  it('records an answer once, although sip-edge reports the 200 OK it sent', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    expect(h.sipEdge.received('answerLeg')).toContainEqual({ callId, legId, detectInbandDtmf: false });
    // sip-edge's LegAnswered fact arrives after the command recorded the answer: a no-op, acked. A later
    // fact shows the consumer went past it.
    await h.sipEdge.publishSipFact(callId, legId, {
      $case: 'dtmfInfoReceived',
      dtmfInfoReceived: { digit: '5', durationMs: 100 },
    });
    const events = await waitFor('the digit after the answer', async () => {
      const s = await h.stream(callId);
      return s.some((e) => e.type === 'DtmfReceived') && s;
    });
    expect(typesOf(events).filter((t) => t === 'LegAnswered')).toHaveLength(1);
  });

  it("keeps recording other calls' facts while an action on one call is slow", async () => {
    const a = await h.inboundCall();
    const release = h.sipEdge.holdNext('answerLeg');
    const answering = h.client.answerLeg(a.callId, a.legId);
    await waitFor('AnswerLeg at sip-edge', () =>
      h.sipEdge.received('answerLeg').some((r) => r.legId === a.legId),
    );
    // A digit of call A waits for A's answer to be recorded; call B must not wait behind it.
    await h.sipEdge.publishSipFact(a.callId, a.legId, {
      $case: 'dtmfInfoReceived',
      dtmfInfoReceived: { digit: '1', durationMs: 80 },
    });
    const b = await h.inboundCall();
    expect((await h.client.getCall(b.callId)).legs[0]!.legId).toBe(b.legId);
    expect(typesOf(await h.stream(a.callId))).not.toContain('LegAnswered');
    release();
    await answering;
    const events = await waitFor('the digit after the answer', async () => {
      const s = await h.stream(a.callId);
      return s.some((e) => e.type === 'DtmfReceived') && s;
    });
    expect(typesOf(events).slice(3)).toEqual(['LegAnswered', 'DtmfReceived']);
  });

  it('records a redelivered fact once (same fact id, new message id)', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    const dtmf = { $case: 'dtmfInfoReceived' as const, dtmfInfoReceived: { digit: '7', durationMs: 80 } };
    const factId = await h.sipEdge.publishSipFact(callId, legId, dtmf);
    await h.sipEdge.publishSipFact(callId, legId, dtmf, factId, `${factId}-again`);
    await h.sipEdge.publishSipFact(callId, legId, {
      ...dtmf,
      dtmfInfoReceived: { digit: '8', durationMs: 80 },
    });
    const events = await waitFor('the second digit', async () => {
      const s = await h.stream(callId);
      return s.some((e) => e.type === 'DtmfReceived' && (e.data as { digit: string }).digit === '8') && s;
    });
    expect(
      events.filter((e) => e.type === 'DtmfReceived').map((e) => (e.data as { digit: string }).digit),
    ).toEqual(['7', '8']);
  });

  it('sets its consumer up again when it is deleted, and goes on recording', async () => {
    const jsm = await jetstreamManager(h.nc);
    await jsm.consumers.delete(FACTS_STREAM, 'call-orchestrator');
    const ids = await h.sipEdge.offerInboundCall();
    await waitFor(
      'the fact after the deletion',
      async () => (await h.stream(ids.callId)).length === 3,
      20_000,
    );
  });

  it('terminates a fact it cannot use and goes on with the next', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    await h.sipEdge.publishSipFact(callId, legId, {
      $case: 'dtmfInfoReceived',
      dtmfInfoReceived: { digit: 'X', durationMs: 1 },
    });
    await h.nc.publish(`facts.sip.${callId}`, new Uint8Array([0xff, 0xff, 0xff]));
    await h.sipEdge.ended(callId, legId, EndCause.END_CAUSE_REMOTE_HANGUP);
    const call = await waitFor('the BYE after the bad facts', async () => {
      const c = await h.client.getCall(callId);
      return c.ended && c;
    });
    expect(call.endCause).toBe(EndCause.END_CAUSE_REMOTE_HANGUP);
    expect(typesOf(await h.stream(callId))).not.toContain('DtmfReceived');
  });
});

describe('talk duration', () => {
  it('is stamped on CallEnded: from the first answer to the end', async () => {
    const started = Date.now();
    const { callId } = await h.answeredInboundCall();
    await new Promise((resolve) => setTimeout(resolve, 50)); // a call that talked for a while
    await h.client.hangup(callId);
    const elapsed = Date.now() - started;
    const ended = (await h.stream(callId)).find((e) => e.type === 'CallEnded')!;
    const talk = Number((ended.data as { talkDurationMs?: string }).talkDurationMs);
    expect(talk).toBeGreaterThanOrEqual(50);
    expect(talk).toBeLessThanOrEqual(elapsed);
  });
});

describe('Hangup', () => {
  it('hangs up every live leg through sip-edge and ends the call', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    await h.client.hangup(callId);
    expect(h.sipEdge.received('hangupLeg')).toContainEqual(expect.objectContaining({ callId, legId }));
    const call = await h.client.getCall(callId);
    expect(call).toMatchObject({ ended: true, endCause: EndCause.END_CAUSE_LOCAL_HANGUP });
    await h.client.hangup(callId); // a retry is a no-op
    expect(h.sipEdge.received('hangupLeg').filter((r) => r.callId === callId)).toHaveLength(1);
  });
});

describe('Dial from a ringing inbound leg (B2BUA)', () => {
  it('places the INVITE bridged with the caller, bridges on answer, and ends the pair together', async () => {
    const a = await h.inboundCall();
    const { legId: b } = await h.client.dial({
      callId: a.callId,
      bridgeWithLegId: a.legId,
      idempotencyKey: 'd-1',
    });
    expect(h.sipEdge.received('placeCall')).toContainEqual(
      expect.objectContaining({
        callId: a.callId,
        legId: b,
        bridgeWithLegId: a.legId,
        toUri: 'sip:carol@127.0.0.1:5090',
      }),
    );
    // sip-edge: the callee answers, and sip-edge answers the caller with the callee's media.
    await h.sipEdge.answered(a.callId, b);
    await h.sipEdge.answered(a.callId, a.legId);
    const bridged = await waitFor('LegsBridged', async () => {
      const c = await h.client.getCall(a.callId);
      return c.legs.every((l) => l.bridgedWithLegId) && c;
    });
    expect(bridged.legs.map((l) => [l.legId, l.bridgedWithLegId])).toEqual([
      [a.legId, b],
      [b, a.legId],
    ]);
    // The callee hangs up: the caller is hung up too.
    await h.sipEdge.ended(a.callId, b, EndCause.END_CAUSE_REMOTE_HANGUP);
    const call = await waitFor('the pair ended', async () => {
      const c = await h.client.getCall(a.callId);
      return c.ended && c;
    });
    expect(h.sipEdge.received('hangupLeg')).toContainEqual(
      expect.objectContaining({ callId: a.callId, legId: a.legId }),
    );
    expect(call.legs.map((l) => l.endCause)).toEqual([
      EndCause.END_CAUSE_BRIDGE_PEER_ENDED,
      EndCause.END_CAUSE_REMOTE_HANGUP,
    ]);
  });
});

describe('events on NATS', () => {
  it('publishes each event of a call to CALL_EVENTS once and in stream order', async () => {
    const { callId } = await h.answeredInboundCall();
    await h.client.hangup(callId);
    const stored = await h.stream(callId);
    const js = jetstream(h.nc);
    const consumer = await js.consumers.get(CALL_EVENTS_STREAM, {
      filter_subjects: callEventsOfCall(callId), // a string: one subject, for servers before 2.10
    });
    const published: string[] = [];
    await waitFor(
      'every event published',
      async () => {
        const batch = await consumer.fetch({ max_messages: 100, expires: 1000 });
        for await (const m of batch) published.push(m.headers?.get('Callctl-Event-Id') ?? '');
        return published.length >= stored.length;
      },
      10_000,
    );
    expect(published).toEqual(stored.map((e) => e.eventId));
  });
});

describe('database connections cut', () => {
  it('keeps relaying and projecting after PostgreSQL dropped every connection', async () => {
    await h.pool.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    const { callId } = await waitFor(
      'an inbound call recorded again',
      async () => {
        const ids = await h.sipEdge.offerInboundCall();
        return (
          (await waitFor('recorded', async () => (await h.stream(ids.callId)).length === 3, 5000)) && ids
        );
      },
      15_000,
    );
    const subject = callEventsOfCall(callId);
    const consumer = await jetstream(h.nc).consumers.get(CALL_EVENTS_STREAM, { filter_subjects: subject });
    await waitFor(
      'its events on NATS',
      async () => {
        const batch = await consumer.fetch({ max_messages: 10, expires: 1000 });
        let n = 0;
        for await (const m of batch) n += m.subject.startsWith('calls.') ? 1 : 0;
        return n > 0;
      },
      15_000,
    );
    await waitFor(
      'it listed',
      async () => (await h.client.listCalls(500)).calls.some((c) => c.callId === callId),
      15_000,
    );
  });
});

describe('GetCall and ListCalls', () => {
  it('GetCall is the fold of the stream, with the stream version', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    const stream = await h.stream(callId);
    const state = foldEvents(stream.map((e) => toCallEvent(e, h.orchestrator.store.codecs)));
    const call = await h.client.getCall(callId);
    expect(state.status).toBe('active');
    expect(call.version).toBe(stream.length);
    expect(call.legs.map((l) => [l.legId, l.state])).toEqual([[legId, LegState.LEG_STATE_ANSWERED]]);
    expect(call.legs[0]!.answeredAt?.getTime()).toBe(
      stream.find((e) => e.type === 'LegAnswered')!.metadata.recordedAt.getTime(),
    );
    expect(call.createdAt?.getTime()).toBe(stream[0]!.metadata.recordedAt.getTime());
  });

  it('lists active calls oldest first, pages through them, and drops ended ones', async () => {
    const a = await h.inboundCall();
    const b = await h.inboundCall();
    const ids = async () => {
      const out: string[] = [];
      let token = '';
      do {
        const page = await h.client.listCalls(2, token);
        out.push(...page.calls.map((c) => c.callId));
        token = page.nextPageToken;
      } while (token);
      return out;
    };
    await waitFor('both calls listed', async () => {
      const listed = await ids();
      return (
        listed.includes(a.callId) &&
        listed.includes(b.callId) &&
        listed.indexOf(a.callId) < listed.indexOf(b.callId)
      );
    });
    await h.client.hangup(a.callId);
    await waitFor('the ended call unlisted', async () => !(await ids()).includes(a.callId));
    expect(await ids()).toContain(b.callId);
  });

  it('rebuilds the active-calls read model from the log to the same rows', async () => {
    await h.inboundCall();
    const rows = async () =>
      (await h.pool.query('SELECT call_id, created_position FROM active_call ORDER BY created_position'))
        .rows;
    await catchUpProjection(activeCallsProjection, { pool: h.pool, store: h.orchestrator.store });
    const before = await rows();
    expect(before.length).toBeGreaterThan(0);
    await rebuildProjection(activeCallsProjection, { pool: h.pool, store: h.orchestrator.store });
    expect(await rows()).toEqual(before);
  });

  it('refuses a page size above the limit', async () => {
    expect((await refused(h.client.listCalls(501))).status).toBe(status.INVALID_ARGUMENT);
  });
});

describe('WatchEvents', () => {
  it('delivers one call from a position: stored events first, then live ones, then ends on close', async () => {
    const mine = await h.inboundCall();
    const other = await h.inboundCall();
    const first = (await h.stream(mine.callId))[0]!.globalPosition;
    const feed = h.client.watch(first, mine.callId);
    const received: callControl.WatchEventsResponse[] = [];
    const reading = (async () => {
      for await (const m of feed) received.push(m);
    })();
    await waitFor('catch-up', () => received.length >= 3);
    await h.client.answerLeg(mine.callId, mine.legId);
    await h.client.hangup(other.callId);
    await h.client.hangup(mine.callId);
    await waitFor('live events', () => received.some((m) => m.event?.$case === 'callEnded'));
    const stored = await h.stream(mine.callId);
    expect(received.map((m) => m.envelope!.globalPosition)).toEqual(stored.map((e) => e.globalPosition));
    expect(received.map((m) => m.envelope!.type)).toEqual(typesOf(stored));
    expect(received.every((m) => m.envelope!.streamId === `call-${mine.callId}`)).toBe(true);
    expect(received[0]!.event).toEqual({
      $case: 'callCreated',
      callCreated: expect.objectContaining({ callId: mine.callId }),
    });
    feed.close();
    await reading;
    expect(await feed.closed()).toBeUndefined();
  });
});

describe('legs sip-edge no longer holds', () => {
  it('ends a leg missing from two ListLegs in a row (sip-edge restarted), not before', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    // Legs recorded within the grace period are left out: pretend this one is older.
    const sipEdge = sipEdgeClient({ address: h.sipEdge.address, timeoutMs: 3000 });
    afterThis.push(() => sipEdge.close());
    const reconciler = new LegReconciler({
      sipEdge,
      activeCallIds: async () => [callId],
      calls: h.orchestrator.calls,
      handler: h.orchestrator.handler,
      clock: () => Date.now() + 60_000,
      ids: systemIds(Date.now),
      log: createLogger({ service: 'reconciler-test', level: 'silent' }),
    });
    h.sipEdge.heldLegs = [{ callId, legId, sipCallId: 's', sipState: 'answered' }];
    expect(await reconciler.runOnce()).toEqual([]);
    h.sipEdge.heldLegs = [];
    expect(await reconciler.runOnce()).toEqual([]);
    expect((await h.client.getCall(callId)).ended).toBe(false);
    expect(await reconciler.runOnce()).toEqual([`${callId}/${legId}`]);
    expect(await h.client.getCall(callId)).toMatchObject({
      ended: true,
      endCause: EndCause.END_CAUSE_PLATFORM_FAILURE,
    });
  });
});

describe('deadlines', () => {
  it('cancels an outbound leg that rings too long (ring timeout → NO_ANSWER)', async () => {
    const { callId, legId } = await h.client.createCall({ idempotencyKey: 'k-ring', ringTimeoutMs: 300 });
    await h.sipEdge.publishSipFact(callId, legId, {
      $case: 'legProgress',
      legProgress: { sipStatus: 180, earlyMedia: false },
    });
    const call = await waitFor('ring timeout', async () => {
      const c = await h.client.getCall(callId);
      return c.ended && c;
    });
    expect(call.legs[0]).toMatchObject({ legId, endCause: EndCause.END_CAUSE_NO_ANSWER });
    expect(h.sipEdge.received('hangupLeg')).toContainEqual(expect.objectContaining({ callId, legId }));
  });

  it('leaves an answered leg alone when its ring timeout comes', async () => {
    const { callId, legId } = await h.client.createCall({
      idempotencyKey: 'k-ring-answered',
      ringTimeoutMs: 300,
    });
    await h.sipEdge.answered(callId, legId);
    await waitFor(
      'answer recorded',
      async () => (await h.client.getCall(callId)).legs[0]!.state === LegState.LEG_STATE_ANSWERED,
    );
    // The timer fires; a later fact shows the consumer moved on and the leg is still up.
    await waitFor('ring deadline passed', () => h.orchestrator.deadlines.armedFor(callId).length === 0);
    expect((await h.client.getCall(callId)).ended).toBe(false);
    expect(h.sipEdge.received('hangupLeg').filter((r) => r.legId === legId)).toHaveLength(0);
  });

  it('hangs up at the maximum duration (MAX_DURATION)', async () => {
    const { callId, legId } = await h.client.createCall({ idempotencyKey: 'k-max', maxDurationMs: 300 });
    await h.sipEdge.answered(callId, legId);
    const call = await waitFor('max duration', async () => {
      const c = await h.client.getCall(callId);
      return c.ended && c;
    });
    expect(call.endCause).toBe(EndCause.END_CAUSE_MAX_DURATION);
    expect(h.sipEdge.received('hangupLeg')).toContainEqual(expect.objectContaining({ callId, legId }));
  });

  it('hangs an inbound call up at the max duration AnswerLeg set (MAX_DURATION)', async () => {
    const { callId, legId } = await h.inboundCall();
    await h.client.api.answerLeg({
      callId,
      legId,
      clientState: '',
      maxDurationMs: 400,
      detectInbandDtmf: false,
    });
    const types = typesOf(await h.stream(callId));
    expect(types.slice(3, 5)).toEqual(['CallMaxDurationSet', 'LegAnswered']);
    const call = await waitFor('max duration', async () => {
      const c = await h.client.getCall(callId);
      return c.ended && c;
    });
    expect(call.endCause).toBe(EndCause.END_CAUSE_MAX_DURATION);
    expect(h.sipEdge.received('hangupLeg')).toContainEqual(expect.objectContaining({ callId, legId }));
  });

  it("shows the inbound call's hang-up deadline from AnswerLeg's max duration", async () => {
    const { callId, legId } = await h.inboundCall();
    await h.client.api.answerLeg({
      callId,
      legId,
      clientState: '',
      maxDurationMs: 60_000,
      detectInbandDtmf: false,
    });
    const view = await h.client.getCall(callId);
    expect(view.hangupDeadline!.getTime()).toBe(view.legs[0]!.answeredAt!.getTime() + 60_000);
    await h.client.hangup(callId);
  });

  it('turns in-band DTMF detection on from the answer: sip-edge is asked, the leg shows it', async () => {
    const { callId, legId } = await h.inboundCall();
    await h.client.api.answerLeg({
      callId,
      legId,
      clientState: '',
      maxDurationMs: 0,
      detectInbandDtmf: true,
    });
    expect(h.sipEdge.received('answerLeg')).toContainEqual({ callId, legId, detectInbandDtmf: true });
    expect(typesOf(await h.stream(callId)).slice(3)).toEqual(['LegAnswered', 'DtmfDetectionChanged']);
    expect((await h.client.getCall(callId)).legs[0]).toEqual(expect.objectContaining({ inbandDtmf: true }));
  });

  it('records how a digit came: SIP INFO', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    await h.sipEdge.publishSipFact(callId, legId, {
      $case: 'dtmfInfoReceived',
      dtmfInfoReceived: { digit: '9', durationMs: 100 },
    });
    const digit = await waitFor('the digit', async () =>
      (await h.stream(callId)).find((e) => e.type === 'DtmfReceived'),
    );
    expect(digit.data).toEqual(expect.objectContaining({ digit: '9', method: 'DTMF_METHOD_INFO' }));
  });

  it('ends a digit collection on the first- and inter-digit timeouts', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    await h.client.collectDigits({
      callId,
      legId,
      maxDigits: 4,
      firstDigitTimeoutMs: 300,
      idempotencyKey: 'c1',
    });
    const first = await waitFor('first-digit timeout', async () =>
      (await h.stream(callId)).find((e) => e.type === 'DigitsCollected'),
    );
    // Stored as proto3 JSON, which leaves out empty strings: no digits.
    expect(first.data).toEqual(expect.objectContaining({ reason: 'COLLECT_END_REASON_FIRST_DIGIT_TIMEOUT' }));
    expect(first.data).not.toHaveProperty('digits');
    await h.client.collectDigits({
      callId,
      legId,
      maxDigits: 4,
      interDigitTimeoutMs: 300,
      idempotencyKey: 'c2',
    });
    await h.sipEdge.publishSipFact(callId, legId, {
      $case: 'dtmfInfoReceived',
      dtmfInfoReceived: { digit: '4', durationMs: 80 },
    });
    const second = await waitFor(
      'inter-digit timeout',
      async () => (await h.stream(callId)).filter((e) => e.type === 'DigitsCollected')[1],
    );
    expect(second.data).toMatchObject({ digits: '4', reason: 'COLLECT_END_REASON_INTER_DIGIT_TIMEOUT' });
  });
});
