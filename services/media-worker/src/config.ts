import { env, loadConfig, type Environment } from '@callctl/config';
import { TRACE_EXPORTERS } from '@callctl/telemetry';
import { z } from 'zod';

export function readConfig(environment: Environment) {
  return loadConfig(
    'media-worker',
    {
      LOG_LEVEL: env.logLevel(),
      GRPC_HOST: env.host('127.0.0.1'),
      GRPC_PORT: env.port(50053),
      /** rtpengine ng control socket (UDP). */
      RTPENGINE_NG: env.hostPort('127.0.0.1:52222'),
      /** Deadline of one ng command. */
      RTPENGINE_TIMEOUT_MS: env.durationMs(2000),
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      SHUTDOWN_DRAIN_MS: env.durationMs(10_000),
    },
    environment,
  );
}

export type MediaWorkerConfig = ReturnType<typeof readConfig>;
