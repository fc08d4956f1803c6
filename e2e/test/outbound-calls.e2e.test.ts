// Outbound calls made through the public CallControl API to sipp callees that answer, are busy, or never
// answer; and the event log as applications see it: NATS CALL_EVENTS against the call's stream.
import { join } from 'node:path';
import { CALL_EVENTS_STREAM, callEventsOfCall, connectBus, type NatsConnection } from '@callctl/bus';
import { callEvents, type callControl } from '@callctl/proto';
import { startSipp, waitFor, type RunningSipp } from '@callctl/testing';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(90_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const C = callEvents.EndCause;

describe('outbound calls over CallControl', () => {
  let p: PlatformUnderTest;
  let nc: NatsConnection;
  const sipps: RunningSipp[] = [];

  const callee = async (scenario: string) => {
    const sipp = await startSipp({ scenario: join(SCENARIOS, scenario), args: ['-key', 'rtp_port', '9'] });
    sipps.push(sipp);
    return sipp;
  };
  const createCall = (sipp: RunningSipp, key: string, ringTimeoutMs = 0) =>
    p.rpc<callControl.CreateCallRequest, callControl.CreateCallResponse>(p.api.createCall, {
      toUri: `sip:callee@127.0.0.1:${sipp.port}`,
      fromUri: 'sip:app@127.0.0.1',
      ringTimeoutMs,
      maxDurationMs: 0,
      clientState: key,
      idempotencyKey: key,
    });
  const types = (callId: string) => p.eventsOf(callId).map((e) => e.event?.$case);

  beforeAll(async () => {
    p = await startPlatform();
    nc = await connectBus({ servers: p.edge.nats.url, name: 'outbound-e2e' });
  });
  afterEach(async () => {
    await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
  });
  afterAll(async () => {
    await nc?.close();
    await p?.close();
  });

  it('rings, answers and is hung up by the application', async () => {
    const sipp = await callee('uas-answers-expect-bye.xml');
    const { callId, legId } = await createCall(sipp, 'answered');
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    await p.rpc(p.api.hangup, { callId, legId: '' });
    const ended = await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
    expect(ended.event.callEnded.cause).toBe(C.END_CAUSE_LOCAL_HANGUP);
    p.edge.expectSippSucceeded(await sipp.result);
    // The leg is requested with the call; it is initiated once, when its INVITE left (with the SIP Call-ID).
    expect(types(callId)).toEqual([
      'callCreated',
      'dialRequested',
      'legInitiated',
      'legRinging',
      'legAnswered',
      'legEnded',
      'callEnded',
    ]);
    const sent = p.eventsOf(callId).filter((e) => e.event?.$case === 'legInitiated')[0];
    expect(sent?.event).toMatchObject({ legInitiated: { legId, sipCallId: expect.stringMatching(/.+/) } });
    const legEnded = p.eventsOf(callId).find((e) => e.event?.$case === 'legEnded');
    expect(legEnded?.event).toMatchObject({
      legEnded: { legId, cause: C.END_CAUSE_LOCAL_HANGUP, clientState: 'answered' },
    });
  });

  it('ends a call to a busy callee with cause busy and status 486', async () => {
    const sipp = await callee('uas-busy.xml');
    const { callId, legId } = await createCall(sipp, 'busy');
    const ended = await p.event('legEnded', (e) => e.event.legEnded.legId === legId);
    expect(ended.event.legEnded).toMatchObject({ cause: C.END_CAUSE_BUSY, sipStatus: 486 });
    const callEnded = await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
    expect(callEnded.event.callEnded.cause).toBe(C.END_CAUSE_BUSY);
    p.edge.expectSippSucceeded(await sipp.result);
  });

  it('cancels a callee that rings past the ring timeout and ends the call as not answered', async () => {
    const sipp = await callee('uas-rings-expect-cancel.xml');
    const { callId, legId } = await createCall(sipp, 'no-answer', 2000);
    await p.event('legRinging', (e) => e.event.legRinging.legId === legId);
    const ended = await p.event('legEnded', (e) => e.event.legEnded.legId === legId);
    expect(ended.event.legEnded.cause).toBe(C.END_CAUSE_NO_ANSWER);
    await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
    p.edge.expectSippSucceeded(await sipp.result);
  });

  it("publishes on NATS exactly the call's stream: same events, same order, once each", async () => {
    const sipp = await callee('uas-answers-expect-bye.xml');
    const { callId, legId } = await createCall(sipp, 'event-log');
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);
    await p.rpc(p.api.hangup, { callId, legId: '' });
    await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
    p.edge.expectSippSucceeded(await sipp.result);
    const logged = p.eventsOf(callId).map((e) => ({ id: e.envelope!.eventId, type: e.envelope!.type }));

    // Everything CALL_EVENTS holds for the call, read from the stream itself (not a live subscription,
    // which would also see publishes the stream dropped as duplicates).
    const consumer = await jetstream(nc).consumers.get(CALL_EVENTS_STREAM, {
      filter_subjects: callEventsOfCall(callId),
      deliver_policy: DeliverPolicy.All,
    });
    // Asked of the server each time: `info(true)` is the info cached when the consumer was created.
    await waitFor(
      'CALL_EVENTS caught up',
      async () => (await consumer.info()).num_pending >= logged.length,
      15_000,
    );
    const onNats: { id: string; type: string }[] = [];
    const batch = await consumer.fetch({ max_messages: logged.length + 10, expires: 2000 });
    for await (const message of batch) {
      onNats.push({
        id: message.headers?.get('Callctl-Event-Id') ?? '',
        type: message.headers?.get('Callctl-Event-Type') ?? '',
      });
    }
    expect(onNats).toEqual(logged);
    expect(new Set(onNats.map((e) => e.id)).size).toBe(onNats.length);

    const view = await p.rpc<callControl.GetCallRequest, callControl.GetCallResponse>(p.api.getCall, {
      callId,
    });
    expect(view.call).toMatchObject({
      callId,
      ended: true,
      endCause: C.END_CAUSE_LOCAL_HANGUP,
      version: logged.length,
      legs: [expect.objectContaining({ legId, state: 4, endCause: C.END_CAUSE_LOCAL_HANGUP })],
    });
  });
});
