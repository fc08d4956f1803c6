// Traces across services: a CreateCall with a traceparent, and every event the call then records, on
// CALL_EVENTS, carries that trace: the events of the command itself, those recorded from sip-edge's facts
// when the far end rang, answered (its 200) and hung up (its BYE). A deadline's events start a trace of
// their own that links to the call's.
import { join } from 'node:path';
import {
  CALL_EVENTS_STREAM,
  callEventsOfCall,
  connectBus,
  FACTS_STREAM,
  sipFactSubject,
  type NatsConnection,
} from '@callctl/bus';
import { facts } from '@callctl/proto';
import { traceIdOf } from '@callctl/telemetry';
import { startOtlpReceiver, startSipp, waitFor, type OtlpReceiver, type RunningSipp } from '@callctl/testing';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(90_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

interface Published {
  type: string;
  traceId: string | undefined;
  linkedTraceId: string | undefined;
}

// Once with spans off (the default: the traceparent travels alone) and once with every service exporting
// spans (each message then carries its producer span, each command its own span): the trace ids are the same.
describe.each(['none', 'otlp'] as const)('traces across services (OTEL_TRACES_EXPORTER=%s)', (exporter) => {
  let receiver: OtlpReceiver | undefined;
  let p: PlatformUnderTest;
  let nc: NatsConnection;
  const sipps: RunningSipp[] = [];

  /** Every event CALL_EVENTS holds for the call, with the trace headers the relay put on it. */
  async function publishedEvents(callId: string): Promise<Published[]> {
    const logged = p.eventsOf(callId).length;
    const consumer = await jetstream(nc).consumers.get(CALL_EVENTS_STREAM, {
      filter_subjects: callEventsOfCall(callId),
      deliver_policy: DeliverPolicy.All,
    });
    // Asked of the server each time: `info(true)` is the info cached when the consumer was created.
    await waitFor('CALL_EVENTS caught up', async () => (await consumer.info()).num_pending >= logged, 15_000);
    const out: Published[] = [];
    const batch = await consumer.fetch({ max_messages: logged + 10, expires: 2000 });
    for await (const message of batch)
      out.push({
        type: message.headers?.get('Callctl-Event-Type') ?? '',
        traceId: traceIdOf(message.headers?.get('traceparent')),
        linkedTraceId: traceIdOf(message.headers?.get('Callctl-Linked-Traceparent')),
      });
    return out;
  }

  /** The trace id on each SipFact sip-edge published about the call, by fact kind. */
  async function sipFactTraces(callId: string): Promise<Array<[string, string | undefined]>> {
    const consumer = await jetstream(nc).consumers.get(FACTS_STREAM, {
      filter_subjects: sipFactSubject(callId),
      deliver_policy: DeliverPolicy.All,
    });
    const pending = (await consumer.info(true)).num_pending;
    const out: Array<[string, string | undefined]> = [];
    const batch = await consumer.fetch({ max_messages: pending, expires: 2000 });
    for await (const message of batch)
      out.push([
        facts.SipFact.decode(message.data).fact?.$case ?? '',
        traceIdOf(message.headers?.get('traceparent')),
      ]);
    return out;
  }

  const callee = async (scenario: string) => {
    const sipp = await startSipp({ scenario: join(SCENARIOS, scenario), args: ['-key', 'rtp_port', '9'] });
    sipps.push(sipp);
    return sipp;
  };

  /** A CreateCall with TRACEPARENT to a sipp callee playing `scenario`; resolves once the call ended. */
  async function tracedCallTo(scenario: string, ringTimeoutMs: number, key: string): Promise<string> {
    const sipp = await callee(scenario);
    const { callId } = await p.api.createCall(
      {
        toUri: `sip:callee@127.0.0.1:${sipp.port}`,
        fromUri: 'sip:app@127.0.0.1',
        ringTimeoutMs,
        maxDurationMs: 0,
        clientState: '',
        idempotencyKey: key,
      },
      { metadata: { traceparent: TRACEPARENT } },
    );
    await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
    p.edge.expectSippSucceeded(await sipp.result);
    return callId;
  }

  beforeAll(async () => {
    receiver = exporter === 'otlp' ? await startOtlpReceiver() : undefined;
    p = await startPlatform(
      {},
      receiver
        ? { serviceEnv: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } }
        : {},
    );
    nc = await connectBus({ servers: p.edge.nats.url, name: 'traces-e2e' });
  });
  afterEach(async () => {
    await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
  });
  afterAll(async () => {
    await nc?.close();
    await p?.close();
    await receiver?.close();
  });

  it("carries a CreateCall's trace on every event the call records, those from the far end's answer and BYE included", async () => {
    const callId = await tracedCallTo('uas-answers-then-bye.xml', 0, 'traced-call');
    const events = await publishedEvents(callId);
    expect(events.map((e) => e.type)).toEqual([
      'CallCreated',
      'DialRequested',
      'LegInitiated',
      'LegRinging',
      'LegAnswered',
      'LegEnded',
      'CallEnded',
    ]);
    expect(events.filter((e) => e.traceId !== TRACE_ID)).toEqual([]);
    // sip-edge itself put the trace on what it saw on the wire, not only the orchestrator on its events.
    expect(await sipFactTraces(callId)).toEqual([
      ['outboundLegSent', TRACE_ID],
      ['legProgress', TRACE_ID],
      ['legAnswered', TRACE_ID],
      ['legEnded', TRACE_ID],
    ]);
  });

  it("starts a trace of its own for a deadline's events, linked to the call's", async () => {
    const callId = await tracedCallTo('uas-rings-expect-cancel.xml', 2000, 'traced-ring-timeout');
    const events = await publishedEvents(callId);
    const ringing = events.findIndex((e) => e.type === 'LegRinging');
    // What the command and the far end's 180 caused is the call's trace...
    expect(events.slice(0, ringing + 1).every((e) => e.traceId === TRACE_ID)).toBe(true);
    // ...the ring timeout's hang-up is a trace of its own, linked to the call's.
    const timedOut = events.slice(ringing + 1);
    expect(timedOut.map((e) => e.type)).toEqual(['LegEnded', 'CallEnded']);
    for (const e of timedOut) {
      expect(e.traceId).toBeDefined();
      expect(e.traceId).not.toBe(TRACE_ID);
      expect(e.linkedTraceId).toBe(TRACE_ID);
    }
  });
});
