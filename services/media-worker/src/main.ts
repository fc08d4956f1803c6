import { readConfig } from './config.js';
import { startTelemetry } from '@callctl/telemetry';
import { runMain } from '@callctl/service';

// Composition root. Configuration is read first (a bad variable exits with one line), telemetry starts
// before gRPC is loaded so that its calls are instrumented, then adapters are wired by hand.
runMain(async () => {
  const config = readConfig(process.env);
  const telemetry = startTelemetry({
    serviceName: 'media-worker',
    exporter: config.OTEL_TRACES_EXPORTER,
    otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
  const { createLogger } = await import('@callctl/logging');
  const { Shutdown, startGrpcServer } = await import('@callctl/service');
  const { NgClient } = await import('./adapters/rtpengine/ng-client.js');
  const { readEngineStatus } = await import('./adapters/rtpengine/engine-status.js');
  const { mediaWorkerService } = await import('./adapters/grpc/media-worker-service.js');

  const log = createLogger({ service: 'media-worker', level: config.LOG_LEVEL });
  const shutdown = new Shutdown({ log, drainMs: config.SHUTDOWN_DRAIN_MS });
  shutdown.add('telemetry', () => telemetry.shutdown());

  const ng = new NgClient({
    host: config.RTPENGINE_NG.host,
    port: config.RTPENGINE_NG.port,
    timeoutMs: config.RTPENGINE_TIMEOUT_MS,
    log: log.child({ module: 'rtpengine' }),
  });
  shutdown.add('rtpengine client', () => ng.close());

  const grpc = await startGrpcServer({
    log,
    host: config.GRPC_HOST,
    port: config.GRPC_PORT,
    services: [mediaWorkerService({ engineStatus: () => readEngineStatus(ng, () => performance.now()) })],
  });
  shutdown.add('grpc server', () => grpc.close());

  const status = await readEngineStatus(ng, () => performance.now());
  if (!status.reachable) log.warn({ engine: ng.address }, 'rtpengine not reachable yet');
  log.info({ grpc: grpc.address, engine: ng.address }, 'media-worker ready');
});
