import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { enableSpans } from './spans.js';

export const TRACE_EXPORTERS = ['none', 'console', 'otlp'] as const;
export type TraceExporterKind = (typeof TRACE_EXPORTERS)[number];

export interface TelemetryOptions {
  serviceName: string;
  /**
   * `none` starts nothing: no SDK, no instrumentation, so no per-call span or async-context work in the
   * hot path. The W3C helpers (propagation.ts) still carry a caller's traceparent. @default 'none'
   */
  exporter?: TraceExporterKind;
  /**
   * Base URL of an OTLP/HTTP collector, e.g. http://otel-collector:4318: spans are POSTed as protobuf to
   * `<base>/v1/traces`. Required when exporter is `otlp`.
   */
  otlpEndpoint?: string;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * Starts tracing. It must run before `@grpc/grpc-js` and `pg` are first required, or their calls are not
 * instrumented: each service's `main.ts` calls it before importing its adapters.
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const exporter = options.exporter ?? 'none';
  if (exporter === 'otlp' && !options.otlpEndpoint) {
    throw new Error("telemetry: exporter 'otlp' needs otlpEndpoint");
  }
  // Spans that go nowhere are not free: the gRPC, pg and HTTP instrumentations wrap every call and query
  // and the SDK's context manager tracks every async hop (about 7% of the orchestrator's CPU under load).
  if (exporter === 'none') return { shutdown: () => Promise.resolve() };
  const spanProcessors: SpanProcessor[] = [];
  if (exporter === 'console') spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  if (exporter === 'otlp')
    spanProcessors.push(
      new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpTracesUrl(options.otlpEndpoint!) })),
    );
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors,
    // Explicit instrumentations: auto-instrumentations pulls ~90 packages and probes cloud metadata hosts.
    // A query outside any traced work (the relay polling the log) and a health probe (grpc.health.v1's
    // Check and Watch, the only methods of those names) make no span: they would be a new one-span trace
    // every few hundred milliseconds.
    instrumentations: [
      new GrpcInstrumentation({ ignoreGrpcMethods: ['Check', 'Watch'] }),
      new PgInstrumentation({ requireParentSpan: true }),
      new HttpInstrumentation(),
    ],
    // No cloud resource detectors: they probe metadata endpoints that do not exist on loopback-only hosts.
    resourceDetectors: [],
  });
  sdk.start();
  enableSpans(true);
  return {
    shutdown: async () => {
      enableSpans(false);
      await sdk.shutdown();
    },
  };
}

/** The traces URL of an OTLP/HTTP collector's base URL (as OTEL_EXPORTER_OTLP_ENDPOINT means it). */
export function otlpTracesUrl(base: string): string {
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}
