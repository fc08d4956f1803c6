import { trace } from '@opentelemetry/api';
import { currentTraceparent, extractTraceContext, newRootTraceparent } from './propagation.js';
import { startTelemetry } from './sdk.js';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

describe('newRootTraceparent', () => {
  it('is a sampled W3C traceparent that the propagator reads back as a valid remote parent', () => {
    const value = newRootTraceparent();
    expect(value).toMatch(TRACEPARENT);
    const span = trace.getSpanContext(
      extractTraceContext((name) => (name === 'traceparent' ? value : undefined)),
    );
    expect(span).toMatchObject({ traceId: value.slice(3, 35), spanId: value.slice(36, 52), isRemote: true });
    expect(trace.isSpanContextValid(span!)).toBe(true);
  });

  it('starts a new trace each time', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newRootTraceparent().slice(3, 35)));
    expect(ids.size).toBe(100);
  });
});

describe("startTelemetry with exporter 'none'", () => {
  it('starts no tracer: there is no active span to propagate, and shutdown returns at once', async () => {
    const telemetry = startTelemetry({ serviceName: 'test', exporter: 'none' });
    trace.getTracer('test').startActiveSpan('work', (span) => {
      expect(span.isRecording()).toBe(false);
      expect(currentTraceparent()).toBeUndefined();
      span.end();
    });
    await telemetry.shutdown();
  });
});
