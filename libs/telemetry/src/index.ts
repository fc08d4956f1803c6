export {
  startTelemetry,
  type TelemetryOptions,
  type Telemetry,
  TRACE_EXPORTERS,
  otlpTracesUrl,
  type TraceExporterKind,
} from './sdk.js';
export {
  injectTraceContext,
  extractTraceContext,
  currentTraceparent,
  newRootTraceparent,
  type HeaderSetter,
  type HeaderGetter,
} from './propagation.js';
export { runInTrace, workTraceparent, traceIdOf } from './work-trace.js';
export {
  inSpan,
  openSpan,
  spansEnabled,
  activeSpanTraceparent,
  SpanKind,
  type SpanSpec,
  type OpenSpan,
} from './spans.js';
export {
  ATTR,
  MESSAGING_SYSTEM,
  producerSpan,
  consumerSpan,
  clientSpan,
  type MessageSpec,
} from './span-specs.js';
