// The platform's spans as a collector receives them: exported over OTLP/HTTP (protobuf) by a process of
// their own (test-fixtures/emit-spans.ts) to a receiver on loopback, with the parents, links and messaging attributes the services rely on; and with no SDK, the
// helpers run their work as is, building nothing.
import { OTLP_SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@callctl/testing';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ATTR } from './span-specs';
import { inSpan, openSpan, spansEnabled } from './spans';
import { startTelemetry } from './sdk';
import { runInTrace, traceIdOf, workTraceparent } from './work-trace';

const CALLER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const execFileAsync = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE = join(__dirname, '..', 'test-fixtures', 'emit-spans.ts');

describe('spans with no SDK (exporter none)', () => {
  it('run the work as is: nothing is described, the result is the same value, the work trace unchanged', async () => {
    const telemetry = startTelemetry({ serviceName: 'test', exporter: 'none' });
    expect(spansEnabled()).toBe(false);
    const describe = jest.fn(() => ({ name: 'never' }));
    const promise = Promise.resolve(7);
    await runInTrace(CALLER, async () => {
      expect(inSpan(describe, () => promise)).toBe(promise);
      expect(inSpan(describe, () => workTraceparent())).toBe(CALLER);
      const open = openSpan(describe);
      expect(open.traceparent).toBeUndefined();
      expect(open.run(() => workTraceparent())).toBe(CALLER);
      open.end(new Error('ignored'));
    });
    expect(describe).not.toHaveBeenCalled();
    await telemetry.shutdown();
  });
});

describe('spans exported over OTLP/HTTP', () => {
  let receiver: OtlpReceiver;
  let spans: ReceivedSpan[];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    await execFileAsync(join(ROOT, 'node_modules', '.bin', 'tsx'), [FIXTURE, receiver.endpoint, CALLER], {
      cwd: ROOT,
    });
    spans = receiver.spans;
  });
  afterAll(() => receiver?.close());

  const named = (name: string) => spans.find((s) => s.name === name)!;

  it('decodes each span once, with its service, and no request was refused', () => {
    expect(receiver.errors).toEqual([]);
    expect(spans.map((s) => s.name).sort()).toEqual([
      'command CreateCall',
      'process facts.sip.*',
      'send facts.sip.*',
    ]);
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['spans-test']));
  });

  it("continues the caller's trace: the work's span is the child of the caller's traceparent", () => {
    const command = named('command CreateCall');
    expect(command.traceId).toBe(traceIdOf(CALLER));
    expect(command.parentSpanId).toBe(CALLER.slice(36, 52));
    expect(command.kind).toBe(OTLP_SPAN_KIND.internal);
    expect(command.attributes[ATTR.callId]).toBe('c1');
  });

  it('makes a publish a PRODUCER span under the work in hand, with the messaging attributes', () => {
    const send = named('send facts.sip.*');
    expect(send.kind).toBe(OTLP_SPAN_KIND.producer);
    expect(send.parentSpanId).toBe(named('command CreateCall').spanId);
    expect(send.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'facts.sip.c1',
      'messaging.message.id': 'f1',
    });
  });

  it('makes the handling of a message a CONSUMER span, child of its producer and linked to it, failed when it fails', () => {
    const send = named('send facts.sip.*');
    const process = named('process facts.sip.*');
    expect(process.kind).toBe(OTLP_SPAN_KIND.consumer);
    expect(process.traceId).toBe(send.traceId);
    expect(process.parentSpanId).toBe(send.spanId);
    expect(process.links).toEqual([{ traceId: send.traceId, spanId: send.spanId }]);
    expect(process.attributes['messaging.operation.type']).toBe('process');
    expect(process.status).toBe(2);
  });
});
