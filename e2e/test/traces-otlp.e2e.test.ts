// Traces as a collector sees them: every service exports its spans over OTLP/HTTP (protobuf) to a receiver
// in the test. A CreateCall to a sipp callee that answers makes one trace, from the orchestrator's gRPC
// server span through its decision and append, the PlaceCall sip-edge serves and the INVITE it sends, the
// media-worker's rtpengine commands, sip-edge's publish of the far end's answer and the orchestrator's
// handling of it, to the relay's publish of LegAnswered: each span reaches the CreateCall by its parents.
import { join } from 'node:path';
import {
  OTLP_SPAN_KIND,
  startOtlpReceiver,
  startSipp,
  type OtlpReceiver,
  type ReceivedSpan,
} from '@callctl/testing';
import { credentials } from '@grpc/grpc-js';
import { health } from '@callctl/proto';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';

jest.setTimeout(120_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
/** The spans a service exports wait up to the batch processor's delay (5 s) before they are sent. */
const EXPORT_WAIT_MS = 30_000;

describe('traces exported over OTLP/HTTP', () => {
  let receiver: OtlpReceiver;
  let p: PlatformUnderTest;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    p = await startPlatform(
      {},
      { serviceEnv: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint } },
    );
  });
  afterAll(async () => {
    await p?.close();
    await receiver?.close();
  });

  it('makes one trace of a CreateCall, from its gRPC request to the publish of LegAnswered', async () => {
    const sipp = await startSipp({
      scenario: join(SCENARIOS, 'uas-answers-then-bye.xml'),
      args: ['-key', 'rtp_port', '9'],
    });
    // A health probe, as a load balancer makes every few seconds: no span (nor trace) of its own.
    const probe = new health.HealthClient(
      `127.0.0.1:${p.orchestrator.grpcPort}`,
      credentials.createInsecure(),
    );
    await new Promise((resolve, reject) =>
      probe.check({ service: '' }, (error, response) => (error ? reject(error) : resolve(response))),
    );
    probe.close();
    let callId: string;
    try {
      ({ callId } = await p.api.createCall({
        toUri: `sip:callee@127.0.0.1:${sipp.port}`,
        fromUri: 'sip:app@127.0.0.1',
        ringTimeoutMs: 0,
        maxDurationMs: 0,
        clientState: '',
        idempotencyKey: 'otlp-traced-call',
      }));
      await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
      p.edge.expectSippSucceeded(await sipp.result);
    } finally {
      await sipp.stop(1000);
    }

    // The CreateCall's server span (the gRPC instrumentation's) starts the trace: the test sent no parent.
    const server = await receiver.waitFor(
      'the CreateCall server span',
      (spans) =>
        spans.find(
          (s) =>
            s.service === 'call-orchestrator' &&
            s.kind === OTLP_SPAN_KIND.server &&
            s.name.endsWith('/CreateCall'),
        ),
      EXPORT_WAIT_MS,
    );
    expect(server.parentSpanId).toBe('');
    const inTrace = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === server.traceId);
    const legAnsweredSubject = `calls.${callId}.leg_answered`;
    const relayed = await receiver.waitFor(
      "the relay's publish of LegAnswered in the CreateCall's trace",
      (spans) =>
        inTrace(spans).find((s) => s.attributes['messaging.destination.name'] === legAnsweredSubject),
      EXPORT_WAIT_MS,
    );
    /** The span's parents up to the root of its trace, or undefined while one is not exported yet. */
    const ancestry = (span: ReceivedSpan): ReceivedSpan[] | undefined => {
      const byId = new Map(inTrace(receiver.spans).map((s) => [s.spanId, s]));
      const chain = [span];
      for (let s = span; s.parentSpanId;) {
        const parent = byId.get(s.parentSpanId);
        if (!parent) return undefined;
        chain.push((s = parent));
      }
      return chain;
    };
    // Each service sends its batch on its own clock: wait until the whole chain has come.
    const relayedPath = await receiver.waitFor(
      'every parent of the publish of LegAnswered',
      () => ancestry(relayed),
      EXPORT_WAIT_MS,
    );
    const trace = inTrace(receiver.spans);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const describe = (s: ReceivedSpan) => `${s.service} ${s.name}`;
    const one = (service: string, name: string) => {
      const found = trace.filter((s) => s.service === service && s.name === name);
      expect(found.map(describe)).toContain(`${service} ${name}`);
      return found;
    };

    // The relay's publish: a PRODUCER span with the messaging conventions, whose parents lead to the
    // CreateCall through the far end's answer as sip-edge published it and the orchestrator handled it.
    expect(relayed).toMatchObject({
      service: 'call-orchestrator',
      name: 'send calls.*.*',
      kind: OTLP_SPAN_KIND.producer,
    });
    expect(relayed.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': legAnsweredSubject,
    });
    expect(relayed.attributes['messaging.message.id']).toMatch(/\S/);
    const path = relayedPath.map(describe);
    expect(path[path.length - 1]).toBe(describe(server));
    expect(path).toEqual(
      expect.arrayContaining([
        'call-orchestrator command RecordLegAnswered',
        'call-orchestrator process facts.sip.*',
        'sip-edge send facts.sip.*',
        'sip-edge sip INVITE',
        'call-orchestrator command CreateCall',
      ]),
    );

    // The orchestrator's decision and append of the CreateCall.
    const [decided] = one('call-orchestrator', 'decide CreateCall');
    expect(decided!.attributes['callctl.call.id']).toBe(callId);
    const appends = one('call-orchestrator', 'append call').filter(
      (s) => s.attributes['callctl.call.id'] === callId,
    );
    expect(appends.length).toBeGreaterThan(0);
    for (const append of appends) {
      expect(append.attributes['callctl.events.count']).toBeGreaterThan(0);
      expect(typeof append.attributes['callctl.stream.version']).toBe('number');
    }

    // The INVITE sip-edge sent: a CLIENT span with the far end's responses, ended by its 200.
    const [invite] = one('sip-edge', 'sip INVITE');
    expect(invite!.kind).toBe(OTLP_SPAN_KIND.client);
    expect(invite!.attributes).toMatchObject({
      'sip.method': 'INVITE',
      'callctl.call.id': callId,
      'sip.status_code': 200,
    });
    expect(invite!.events).toContain('sip 180');
    // ...served for the orchestrator's PlaceCall: its CLIENT span, made in the CreateCall's command.
    expect(ancestry(invite!)?.map(describe)).toEqual(
      expect.arrayContaining([
        'sip-edge grpc.callctl.sipedge.v1.SipEdge/PlaceCall',
        'call-orchestrator grpc.callctl.sipedge.v1.SipEdge/PlaceCall',
        'call-orchestrator command CreateCall',
      ]),
    );

    // The media-worker's rtpengine commands for the answered leg's media, CLIENT spans in the same trace.
    const rtpengine = await receiver.waitFor(
      "the media-worker's rtpengine commands",
      (spans) => {
        const found = inTrace(spans).filter(
          (s) => s.service === 'media-worker' && s.name.startsWith('rtpengine '),
        );
        return found.some((s) => s.name === 'rtpengine delete') ? found : undefined;
      },
      EXPORT_WAIT_MS,
    );
    expect(rtpengine.map((s) => s.name)).toContain('rtpengine offer');
    for (const command of rtpengine) {
      expect(command.kind).toBe(OTLP_SPAN_KIND.client);
      expect(command.attributes['rtpengine.call_id']).toMatch(/\S/);
    }

    // Every CONSUMER span of a fact links to the PRODUCER span that published it.
    const consumers = trace.filter((s) => s.kind === OTLP_SPAN_KIND.consumer);
    expect(consumers.length).toBeGreaterThan(0);
    for (const consumer of consumers) {
      expect(consumer.links).toHaveLength(1);
      const producer = byId.get(consumer.links[0]!.spanId);
      expect(producer?.kind).toBe(OTLP_SPAN_KIND.producer);
      expect(producer?.attributes['messaging.message.id']).toBe(consumer.attributes['messaging.message.id']);
    }
    expect(receiver.errors).toEqual([]);

    // What no call caused made no span: the health probe, and the queries of the relay's polling and the
    // orchestrator's database probe (every second), which ran while the spans above came.
    expect(receiver.spans.filter((s) => s.name.includes('grpc.health.v1')).map(describe)).toEqual([]);
    expect(receiver.spans.filter((s) => s.name.startsWith('pg') && !s.parentSpanId).map(describe)).toEqual(
      [],
    );
  });
});
