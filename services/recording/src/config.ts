import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, env, loadConfig, type Environment, SECURITY_ENV, securityOf } from '@callctl/config';
import { TRACE_EXPORTERS } from '@callctl/telemetry';
import { z } from 'zod';

const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined));

/** Instance names end up in metadata and logs; keep them to one token. */
const instanceName = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, { message: 'expected letters, digits, _, . or -' })
    .default(fallback);

export function readConfig(environment: Environment) {
  const config = loadConfig(
    'recording',
    {
      LOG_LEVEL: env.logLevel(),
      GRPC_HOST: env.host('127.0.0.1'),
      /**
       * Serves callctl.recording.v1.Recorder (for the orchestrator) and callctl.v1.Recordings (public,
       * forwarded by the orchestrator on its port).
       */
      GRPC_PORT: env.port(50056),
      /**
       * host:port at which other services reach this instance (announced on NATS, instances.<kind>.<name>):
       * in Kubernetes the pod IP and the port. Unset: 127.0.0.1 and GRPC_PORT.
       */
      ADVERTISE_GRPC: env.advertisedAddress(),
      /** PostgreSQL with the platform's migrations: the recordings' metadata (parts, pauses) lives there. */
      DATABASE_URL: env.url(['postgres', 'postgresql']),
      DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
      /** NATS with JetStream: RecordingFacts are published on CALLCTL_FACTS (facts.recording.<callId>). */
      NATS_URL: env.url(['nats']),
      /** Give up publishing one fact after this long (below the stream's 10 min duplicate window). */
      FACT_PUBLISH_GIVE_UP_MS: env.durationMs(120_000),
      /** Deadline of one publish attempt, waiting for JetStream's ack. */
      FACT_PUBLISH_ATTEMPT_TIMEOUT_MS: env.durationMs(2000),
      /** gRPC address of the media-worker that forks the parties' RTP (StartFork, StopFork, Query). */
      MEDIA_WORKER_GRPC: env.hostPort('127.0.0.1:50053'),
      /** Deadline of one call to the media-worker. */
      MEDIA_WORKER_TIMEOUT_MS: env.durationMs(3000),
      /**
       * Address the recorder's UDP sockets bind to and rtpengine sends the forks to: an address of this
       * host that rtpengine reaches (loopback when they share a host).
       */
      RECORDING_RTP_HOST: env.host('127.0.0.1'),
      /**
       * Where the WAV of each part is written while it records (`<dir>/<recording id>/part-<n>.wav`), before
       * it is stored. A volume of this instance's own: after a crash the next start repairs the files it
       * finds here.
       */
      RECORDING_SPOOL_DIR: z.string().min(1).default(join(tmpdir(), 'callctl-recording-spool')),
      /**
       * This instance's stable name (the pod name of a StatefulSet): it owns what it records, and its next
       * start recovers its own unfinished recordings. Instances running at the same time need different
       * names.
       */
      RECORDING_INSTANCE: instanceName(hostname().replace(/[^A-Za-z0-9_.-]/g, '-') || 'recording'),
      /**
       * A recorder that hears nothing from any party for this long asks the media-worker whether the
       * session still exists (and asks again after each further such time); a session gone stops the
       * recording (media ended).
       */
      RECORDING_IDLE_MS: env.durationMs(3000),
      /** Where finished files are kept: `fs` (RECORDING_DIR, a volume) or `s3` (an S3-compatible bucket). */
      RECORDING_STORE: z.enum(['fs', 's3']).default('fs'),
      /** RECORDING_STORE=fs: the directory of the stored files (`<recording id>/part-<n>.wav`). */
      RECORDING_DIR: z.string().min(1).default(join(tmpdir(), 'callctl-recordings')),
      /** RECORDING_STORE=s3: the endpoint URL (empty: AWS's own for S3_REGION). */
      S3_ENDPOINT: optionalText(),
      S3_BUCKET: optionalText(),
      S3_REGION: z.string().min(1).default('us-east-1'),
      S3_ACCESS_KEY_ID: optionalText(),
      S3_SECRET_ACCESS_KEY: optionalText(),
      /** Path-style URLs (`<endpoint>/<bucket>/<key>`), which most self-hosted S3 servers want. */
      S3_FORCE_PATH_STYLE: env.flag(false),
      /** Deadline of one store operation (one put, one read, one delete). */
      STORE_TIMEOUT_MS: env.durationMs(30_000),
      /** Attempts at storing a finished part before the recording fails (RecorderFailed). */
      STORE_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
      /** Wait before the second attempt, growing by as much at each further one. */
      STORE_RETRY_DELAY_MS: env.durationMs(500),
      ...SECURITY_ENV,
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      SHUTDOWN_DRAIN_MS: env.durationMs(10_000),
    },
    environment,
  );
  if (config.RECORDING_STORE === 's3') {
    const missing = (['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const).filter(
      (name) => !config[name],
    );
    if (missing.length)
      throw new ConfigError(
        'recording',
        missing.map((variable) => ({ variable, problem: 'required with RECORDING_STORE=s3' })),
      );
  }
  return {
    ...config,
    ...securityOf('recording', config),
  };
}

export type RecordingConfig = ReturnType<typeof readConfig>;

/** The configuration as it may be logged: the S3 secret replaced by whether it is set. */
export function loggableConfig(config: RecordingConfig): Record<string, unknown> {
  const redacted = (value: string | undefined) => (value ? '[redacted]' : undefined);
  return {
    ...config,
    S3_SECRET_ACCESS_KEY: redacted(config.S3_SECRET_ACCESS_KEY),
    NATS_PASSWORD: redacted(config.NATS_PASSWORD),
    nats: { ...config.nats, password: redacted(config.nats.password) },
  };
}
