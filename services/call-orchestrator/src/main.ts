import { readConfig } from './config.js';
import { startTelemetry } from '@callctl/telemetry';
import { runMain } from '@callctl/service';

// Composition root. Configuration is read first (a bad variable exits with one line), telemetry starts
// before gRPC is loaded so that its calls are instrumented, then the orchestrator is wired by hand.
runMain(async () => {
  const config = readConfig(process.env);
  const telemetry = startTelemetry({
    serviceName: 'call-orchestrator',
    exporter: config.OTEL_TRACES_EXPORTER,
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const { createLogger } = await import('@callctl/logging');
  const { Shutdown } = await import('@callctl/service');
  const { startCallOrchestrator } = await import('./call-orchestrator.js');

  const log = createLogger({ service: 'call-orchestrator', level: config.LOG_LEVEL });
  const shutdown = new Shutdown({ log, drainMs: config.SHUTDOWN_DRAIN_MS });
  shutdown.add('telemetry', () => telemetry.shutdown());
  const hostPort = (a: { host: string; port: number }) => `${a.host}:${a.port}`;

  const orchestrator = await startCallOrchestrator({
    log,
    grpc: { host: config.GRPC_HOST, port: config.GRPC_PORT },
    databaseUrl: config.DATABASE_URL,
    databasePoolSize: config.DATABASE_POOL_SIZE,
    natsUrl: config.NATS_URL,
    sipEdge: { address: hostPort(config.SIP_EDGE_GRPC), timeoutMs: config.SIP_EDGE_TIMEOUT_MS },
    mediaWorker: {
      address: hostPort(config.MEDIA_WORKER_GRPC),
      timeoutMs: config.MEDIA_WORKER_TIMEOUT_MS,
      mediaFilesDir: config.MEDIA_FILES_DIR,
    },
    relay: config.RELAY_ENABLED,
    factsConsumerName: config.FACTS_CONSUMER,
    cachedCalls: config.CACHED_CALLS,
    legReconcileIntervalMs: config.LEG_RECONCILE_INTERVAL_MS,
  });
  shutdown.add('call orchestrator', () => orchestrator.close());
  log.info({ grpc: orchestrator.grpc.address }, 'call-orchestrator ready');
});
