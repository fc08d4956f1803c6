export {
  startTelemetry,
  type TelemetryOptions,
  type Telemetry,
  TRACE_EXPORTERS,
  type TraceExporterKind,
} from './sdk.js';
export {
  injectTraceContext,
  extractTraceContext,
  currentTraceparent,
  newRootTraceparent,
  withSpan,
  type HeaderSetter,
  type HeaderGetter,
} from './propagation.js';
export { runInTrace, workTraceparent, traceIdOf } from './work-trace.js';
