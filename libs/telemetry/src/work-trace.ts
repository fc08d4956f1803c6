import { AsyncLocalStorage } from 'node:async_hooks';

// The trace of the work in hand. The SDK is off by default (no exporter), so there is often no active OTel
// span to read a context from; yet every fact, event, internal call and log line caused by a piece of work
// must carry that work's W3C traceparent. The traceparent therefore travels in an AsyncLocalStorage scope
// opened where work arrives (a gRPC request, a NATS message, a SIP request of a known leg, a timer) and is
// read where work leaves (fact headers, gRPC metadata, event metadata, log lines). This module has no OTel
// dependency so that the logger can use it cheaply.

const scope = new AsyncLocalStorage<string>();

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/** Runs `fn` with `traceparent` as the trace of the work in hand (no scope change when it is empty). */
export function runInTrace<T>(traceparent: string | undefined, fn: () => T): T {
  return traceparent && TRACEPARENT.test(traceparent) ? scope.run(traceparent, fn) : fn();
}

/** The traceparent of the work in hand, if any. */
export function workTraceparent(): string | undefined {
  return scope.getStore();
}

/** The trace id of a W3C traceparent, or undefined when it is not one. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent ? TRACEPARENT.exec(traceparent)?.[1] : undefined;
}
