import { randomUUID } from 'node:crypto';
import { context, type Context } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

export type HeaderSetter = (name: string, value: string) => void;
export type HeaderGetter = (name: string) => string | undefined;

// NATS has no OpenTelemetry instrumentation, and neither does our event log, so the trace context is
// carried by hand in `traceparent`/`tracestate`. The W3C propagator is used directly so that this works
// whether or not the SDK was started (tests, tools).
const w3c = new W3CTraceContextPropagator();

/** Writes the active (or given) context's `traceparent`/`tracestate` through `set`. */
export function injectTraceContext(set: HeaderSetter, ctx: Context = context.active()): void {
  w3c.inject(ctx, undefined, { set: (_carrier, key, value) => set(key, value) });
}

/** Reads a context from headers; use it as the parent of the handler's span. */
export function extractTraceContext(get: HeaderGetter, base: Context = context.active()): Context {
  return w3c.extract(base, undefined, {
    get: (_carrier, key) => get(key),
    keys: () => ['traceparent', 'tracestate'],
  });
}

/** The active context's traceparent, or undefined when there is no sampled span. */
export function currentTraceparent(ctx: Context = context.active()): string | undefined {
  let value: string | undefined;
  injectTraceContext((name, v) => {
    if (name === 'traceparent') value = v;
  }, ctx);
  return value;
}

/**
 * A traceparent for a new sampled root, for work that arrives with none and runs outside any span (the
 * SDK is not started when traces go nowhere), so that what it records can still be correlated.
 */
export function newRootTraceparent(): string {
  // randomUUID draws on a cached entropy pool; its 122 random bits are plenty for a trace id.
  const traceId = randomUUID().replaceAll('-', '');
  const spanId = randomUUID().replaceAll('-', '').slice(16);
  return `00-${traceId}-${spanId}-01`;
}
