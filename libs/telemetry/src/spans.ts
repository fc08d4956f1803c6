// The one home of the platform's own spans (the gRPC, pg and HTTP ones come from instrumentations).
//
// Spans exist only while an SDK runs (sdk.ts enables them): with the exporter `none` every helper here runs
// its function as is, without building a name, attributes or a context, so the hot paths that call them
// pay one branch. Each span also becomes the work in hand (work-trace.ts) while its function runs, so what
// that work sends on (facts, internal gRPC calls, events in the log, log lines) names the span as parent.
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { currentTraceparent, extractTraceContext } from './propagation.js';
import { runInTrace, workTraceparent } from './work-trace.js';

export { SpanKind };

/** Set while an SDK runs (sdk.ts); spans are a no-op path otherwise. */
let tracer: Tracer | undefined;

/** Called by startTelemetry when it starts an SDK, and at its shutdown. */
export function enableSpans(enabled: boolean): void {
  tracer = enabled ? trace.getTracer('callctl') : undefined;
}

/** Whether spans are recorded (an SDK runs). */
export function spansEnabled(): boolean {
  return tracer !== undefined;
}

export interface SpanSpec {
  name: string;
  /** @default SpanKind.INTERNAL */
  kind?: SpanKind;
  attributes?: Attributes;
  /**
   * The parent, as a W3C traceparent (a message's or an event's). @default the work in hand, else the
   * active OpenTelemetry context (an instrumentation's span)
   */
  parent?: string;
  /** Start a new trace, ignoring the work in hand (work nobody asked for just now: a deadline). */
  root?: boolean;
  /** Traceparents this span follows from without being their child (a message's producer). */
  links?: readonly (string | undefined)[];
}

/** A span opened by openSpan, ended by the caller; a no-op when spans are off. */
export interface OpenSpan {
  /** Its traceparent (undefined when spans are off). */
  readonly traceparent: string | undefined;
  setAttributes(attributes: Attributes): void;
  addEvent(name: string, attributes?: Attributes): void;
  /** Ends it, as failed when `error` is given. */
  end(error?: unknown): void;
  /** Runs `fn` with this span as the work in hand. */
  run<T>(fn: () => T): T;
}

const NO_SPAN: OpenSpan = {
  traceparent: undefined,
  setAttributes: () => undefined,
  addEvent: () => undefined,
  end: () => undefined,
  run: (fn) => fn(),
};

/**
 * Runs `fn` in a span described by `describe` (called only when spans are on), ending it when `fn`
 * returns or its promise settles, and marking it failed when it throws or rejects.
 */
export function inSpan<T>(describe: () => SpanSpec, fn: () => T): T {
  if (!tracer) return fn();
  const span = openSpan(describe);
  let result: T;
  try {
    result = span.run(fn);
  } catch (error) {
    span.end(error);
    throw error;
  }
  if (result instanceof Promise)
    return result.then(
      (value: unknown) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        span.end(error);
        throw error;
      },
    ) as T;
  span.end();
  return result;
}

/** Starts a span whose end is not the end of one function (a SIP transaction); NO_SPAN when off. */
export function openSpan(describe: () => SpanSpec): OpenSpan {
  if (!tracer) return NO_SPAN;
  const spec = describe();
  const parent = spec.root ? ROOT_CONTEXT : parentContext(spec.parent);
  const links: Link[] = [];
  for (const traceparent of spec.links ?? []) {
    const linked = traceparent ? trace.getSpanContext(contextOf(traceparent)) : undefined;
    if (linked && trace.isSpanContextValid(linked)) links.push({ context: linked });
  }
  const span = tracer.startSpan(
    spec.name,
    {
      kind: spec.kind ?? SpanKind.INTERNAL,
      ...(spec.attributes ? { attributes: spec.attributes } : {}),
      links,
    },
    parent,
  );
  return new RecordingSpan(span, trace.setSpan(parent, span));
}

class RecordingSpan implements OpenSpan {
  readonly traceparent: string | undefined;

  constructor(
    private readonly span: Span,
    private readonly context: Context,
  ) {
    this.traceparent = currentTraceparent(context);
  }

  setAttributes(attributes: Attributes): void {
    this.span.setAttributes(attributes);
  }

  addEvent(name: string, attributes?: Attributes): void {
    this.span.addEvent(name, attributes);
  }

  end(error?: unknown): void {
    if (error !== undefined) {
      this.span.recordException(error instanceof Error ? error : String(error));
      this.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : '',
      });
    }
    this.span.end();
  }

  run<T>(fn: () => T): T {
    return context.with(this.context, () => runInTrace(this.traceparent, fn));
  }
}

function contextOf(traceparent: string): Context {
  return extractTraceContext((name) => (name === 'traceparent' ? traceparent : undefined), ROOT_CONTEXT);
}

function parentContext(traceparent: string | undefined): Context {
  const given = traceparent ?? workTraceparent();
  return given ? contextOf(given) : context.active();
}

/**
 * The traceparent of the active OpenTelemetry span while spans are on (an instrumentation's server span),
 * else undefined: the gRPC server wrapper makes it the work in hand rather than the caller's own.
 */
export function activeSpanTraceparent(): string | undefined {
  return tracer ? currentTraceparent() : undefined;
}
