import { readConfig } from './config.js';
import { startTelemetry } from '@callctl/telemetry';
import { runMain } from '@callctl/service';

// Composition root. Configuration is read first (a bad variable exits with one line), telemetry starts
// before gRPC is loaded so that its calls are instrumented, then adapters are wired by hand.
runMain(async () => {
  const config = readConfig(process.env);
  const telemetry = startTelemetry({
    serviceName: 'sip-edge',
    exporter: config.OTEL_TRACES_EXPORTER,
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const { createLogger } = await import('@callctl/logging');
  const { Shutdown } = await import('@callctl/service');
  const { startSipEdge } = await import('./sip-edge.js');

  const log = createLogger({ service: 'sip-edge', level: config.LOG_LEVEL });
  const shutdown = new Shutdown({ log, drainMs: config.SHUTDOWN_DRAIN_MS });
  shutdown.add('telemetry', () => telemetry.shutdown());

  log.info({ engine: config.SIP_ENGINE_ADMIN }, 'connecting to the SIP engine');
  const edge = await startSipEdge({
    log,
    grpc: { host: config.GRPC_HOST, port: config.GRPC_PORT },
    engine: { ...config.SIP_ENGINE_ADMIN, secret: config.SIP_ENGINE_SECRET },
    natsUrl: config.NATS_URL,
    instance: config.SIP_EDGE_INSTANCE,
    facts: {
      giveUpAfterMs: config.FACT_PUBLISH_GIVE_UP_MS,
      offerGiveUpAfterMs: config.OFFER_PUBLISH_GIVE_UP_MS,
      attemptTimeoutMs: config.FACT_PUBLISH_ATTEMPT_TIMEOUT_MS,
    },
    mediaWorker: {
      address: `${config.MEDIA_WORKER_GRPC.host}:${config.MEDIA_WORKER_GRPC.port}`,
      timeoutMs: config.MEDIA_WORKER_TIMEOUT_MS,
    },
    legs: {
      answerTimeoutMs: config.ANSWER_TIMEOUT_MS,
      defaultRejectStatus: config.DEFAULT_REJECT_STATUS,
      defaultRingTimeoutMs: config.RING_TIMEOUT_MS,
      defaultFromUri: config.DEFAULT_FROM_URI,
    },
  });
  shutdown.add('sip-edge', () => edge.close());
  log.info({ grpc: edge.grpc.address }, 'sip-edge ready');
});
