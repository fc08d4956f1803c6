import { tmpdir } from 'node:os';
import { env, loadConfig, type Environment, INTERNAL_TLS_ENV, internalTlsOf } from '@callctl/config';
import { TRACE_EXPORTERS } from '@callctl/telemetry';
import { z } from 'zod';

export function readConfig(environment: Environment) {
  const config = loadConfig(
    'media-library',
    {
      LOG_LEVEL: env.logLevel(),
      GRPC_HOST: env.host('127.0.0.1'),
      /** callctl.v1.MediaLibrary (reached through the call-orchestrator) and callctl.media.v1.MediaStore. */
      GRPC_PORT: env.port(50055),
      /** PostgreSQL with the platform's migrations: metadata and bytes of the library live there. */
      DATABASE_URL: env.url(['postgres', 'postgresql']),
      DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
      /** Largest upload accepted, in bytes; an upload is refused as soon as it goes over. */
      MEDIA_UPLOAD_MAX_BYTES: z.coerce
        .number()
        .int()
        .positive()
        .max(1024 * 1024 * 1024)
        .default(20 * 1024 * 1024),
      /**
       * Largest converted WAV stored (a small compressed upload can decode to hours). Keep it within the
       * media-worker's MEDIA_FETCH_MAX_BYTES, or the file is stored but cannot be played.
       */
      MEDIA_STORED_MAX_BYTES: z.coerce
        .number()
        .int()
        .positive()
        .max(1024 * 1024 * 1024)
        .default(20 * 1024 * 1024),
      /** Longest an upload may take, receiving the bytes and converting them. */
      MEDIA_UPLOAD_TIMEOUT_MS: env.durationMs(120_000),
      /** Deadline of one ffprobe or ffmpeg run. */
      MEDIA_CONVERT_TIMEOUT_MS: env.durationMs(60_000),
      /** Conversions (ffmpeg runs) at once; more uploads wait their turn. About the cores the service has. */
      MEDIA_CONVERT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
      /** Where an upload's temporary files go while ffmpeg converts it (removed afterwards). */
      MEDIA_WORK_DIR: z.string().min(1).default(tmpdir()),
      FFMPEG_PATH: z.string().min(1).default('ffmpeg'),
      FFPROBE_PATH: z.string().min(1).default('ffprobe'),
      ...INTERNAL_TLS_ENV,
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      SHUTDOWN_DRAIN_MS: env.durationMs(10_000),
    },
    environment,
  );
  return { ...config, internalTls: internalTlsOf('media-library', config) };
}

export type MediaLibraryConfig = ReturnType<typeof readConfig>;
