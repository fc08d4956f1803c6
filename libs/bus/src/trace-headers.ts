import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { extractTraceContext, injectTraceContext, workTraceparent } from '@callctl/telemetry';

type Context = ReturnType<typeof extractTraceContext>;

/**
 * Headers carrying the trace context: the given or active OTel context's traceparent/tracestate when there
 * is a span, else the traceparent of the work in hand (work-trace.ts), which is what carries a trace while
 * the SDK is off.
 */
export function tracedHeaders(base?: MsgHdrs, ctx?: Context): MsgHdrs {
  const h = base ?? natsHeaders();
  injectTraceContext((key, value) => h.set(key, value), ctx);
  const work = workTraceparent();
  if (!h.has('traceparent') && work) h.set('traceparent', work);
  return h;
}

/** The trace context a message carries, to run its handler under. */
export function traceContextOf(h: MsgHdrs | undefined): Context {
  return extractTraceContext((key) => (h?.has(key) ? h.get(key) : undefined));
}

/** The traceparent a message carries, if any. */
export function traceparentOf(h: MsgHdrs | undefined): string | undefined {
  return h?.has('traceparent') ? h.get('traceparent') : undefined;
}
