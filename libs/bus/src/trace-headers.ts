import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import { extractTraceContext, injectTraceContext } from '@callctl/telemetry';

type Context = ReturnType<typeof extractTraceContext>;

/** Headers carrying the active (or given) trace context (W3C traceparent/tracestate). */
export function tracedHeaders(base?: MsgHdrs, ctx?: Context): MsgHdrs {
  const h = base ?? natsHeaders();
  injectTraceContext((key, value) => h.set(key, value), ctx);
  return h;
}

/** The trace context a message carries, to run its handler under. */
export function traceContextOf(h: MsgHdrs | undefined): Context {
  return extractTraceContext((key) => (h?.has(key) ? h.get(key) : undefined));
}
