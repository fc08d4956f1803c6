import {
  ConfigError,
  env,
  loadConfig,
  type Environment,
  INTERNAL_TLS_ENV,
  internalTlsOf,
  NATS_SECURITY_ENV,
  natsSecurityOf,
} from '@callctl/config';
import { TRACE_EXPORTERS } from '@callctl/telemetry';
import { z } from 'zod';
import { PROVIDER_NAMES } from './domain/synthesis-request.js';

const count = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined));

export function readConfig(environment: Environment) {
  const config = loadConfig(
    'tts',
    {
      LOG_LEVEL: env.logLevel(),
      GRPC_HOST: env.host('127.0.0.1'),
      /** Serves callctl.tts.v1.Tts and callctl.media.v1.MediaStore. */
      GRPC_PORT: env.port(50054),
      /**
       * host:port at which other services reach this instance (announced on NATS, instances.<kind>.<name>):
       * in Kubernetes the pod IP and the port. Unset: 127.0.0.1 and GRPC_PORT.
       */
      ADVERTISE_GRPC: env.advertisedAddress(),
      /**
       * NATS, where the instance announces itself so that media-workers find the speech it made (each
       * instance keeps its own cache). Unset: not announced (one instance, reached at TTS_GRPC).
       */
      NATS_URL: env.url(['nats']).optional(),
      /** This instance's name (the pod name in Kubernetes), in its announcement. */
      TTS_INSTANCE: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, { message: 'expected letters, digits, _ or -' })
        .default('tts'),
      /** The provider of a request that names none. */
      TTS_DEFAULT_PROVIDER: z.enum(PROVIDER_NAMES).default('espeak'),
      /** Speaks when the requested provider is UNAVAILABLE (down, throttled, timed out). Unset: no fallback. */
      TTS_FALLBACK_PROVIDER: z.enum(PROVIDER_NAMES).optional(),
      /** Where synthesized WAVs are kept: private to this service (a PersistentVolumeClaim in a cluster). */
      TTS_CACHE_DIR: z.string().min(1).default('/tmp/callctl-tts-cache'),
      /** Total size of the cached WAVs; the least recently used go beyond it. */
      TTS_CACHE_MAX_BYTES: count(1024 * 1024 * 1024),
      TTS_MAX_TEXT_CHARS: count(3000),
      TTS_MAX_SSML_CHARS: count(6000),
      /** How long a request without a gRPC deadline may wait (for its turn and its synthesis). */
      TTS_REQUEST_TIMEOUT_MS: env.durationMs(15_000),
      ESPEAK_DEFAULT_VOICE: z.string().min(1).default('en-us'),
      ESPEAK_TIMEOUT_MS: env.durationMs(5000),
      ESPEAK_MAX_CONCURRENCY: count(2),
      POLLY_DEFAULT_VOICE: z.string().min(1).default('Joanna'),
      POLLY_TIMEOUT_MS: env.durationMs(5000),
      POLLY_MAX_CONCURRENCY: count(8),
      POLLY_REGION: z.string().min(1).default('us-east-1'),
      /** Another endpoint than AWS's for the region (a VPC endpoint; the tests' double). */
      POLLY_ENDPOINT: env.url(['http', 'https']).optional(),
      POLLY_ACCESS_KEY_ID: optionalText(),
      POLLY_SECRET_ACCESS_KEY: optionalText(),
      POLLY_ENGINE: z.enum(['standard', 'neural', 'long-form', 'generative']).default('standard'),
      GOOGLE_TTS_DEFAULT_VOICE: z.string().min(1).default('en-US-Standard-C'),
      GOOGLE_TTS_TIMEOUT_MS: env.durationMs(5000),
      GOOGLE_TTS_MAX_CONCURRENCY: count(8),
      /** host:port or a URL (http:// for a plain-text endpoint); unset: Google's. */
      GOOGLE_TTS_ENDPOINT: optionalText(),
      GOOGLE_API_KEY: optionalText(),
      GOOGLE_ACCESS_TOKEN: optionalText(),
      /** A service account key file (the standard Google variable). */
      GOOGLE_APPLICATION_CREDENTIALS: optionalText(),
      ...INTERNAL_TLS_ENV,
      ...NATS_SECURITY_ENV,
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      SHUTDOWN_DRAIN_MS: env.durationMs(10_000),
    },
    environment,
  );
  if (!config.POLLY_ACCESS_KEY_ID !== !config.POLLY_SECRET_ACCESS_KEY) {
    const missing = config.POLLY_ACCESS_KEY_ID ? 'POLLY_SECRET_ACCESS_KEY' : 'POLLY_ACCESS_KEY_ID';
    throw new ConfigError('tts', [
      {
        variable: missing,
        problem:
          'required with the other (set both POLLY_ACCESS_KEY_ID and POLLY_SECRET_ACCESS_KEY, or neither)',
      },
    ]);
  }
  return { ...config, internalTls: internalTlsOf('tts', config), nats: natsSecurityOf('tts', config) };
}

export type TtsConfig = ReturnType<typeof readConfig>;

const SECRETS = [
  'POLLY_SECRET_ACCESS_KEY',
  'GOOGLE_API_KEY',
  'GOOGLE_ACCESS_TOKEN',
  'NATS_PASSWORD',
] as const;

/** The configuration as it may be logged: secrets replaced by whether they are set. */
export function loggableConfig(config: TtsConfig): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...config };
  for (const name of SECRETS) shown[name] = config[name] ? '[redacted]' : undefined;
  shown.nats = { ...config.nats, password: config.nats.password ? '[redacted]' : undefined };
  return shown;
}
