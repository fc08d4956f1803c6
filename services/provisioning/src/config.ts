import {
  env,
  loadConfig,
  type Environment,
  INTERNAL_TLS_ENV,
  NATS_SECURITY_ENV,
  natsSecurityOf,
  PUBLIC_API_ENV,
  publicApiSecurityOf,
} from '@callctl/config';
import { parseSecretsKey } from '@callctl/provisioning';
import { TRACE_EXPORTERS } from '@callctl/telemetry';
import { z } from 'zod';

const isSecretsKey = (text: string) => {
  try {
    parseSecretsKey(text);
    return true;
  } catch {
    return false;
  }
};

/** The provisioning service's settings, read once from the environment (main.ts). */
export function readConfig(environment: Environment) {
  const config = loadConfig(
    'provisioning',
    {
      LOG_LEVEL: env.logLevel(),
      GRPC_HOST: env.host('127.0.0.1'),
      /** Serves the public callctl.v1.Provisioning and grpc.health.v1.Health. */
      GRPC_PORT: env.port(50059),
      /** The record of trunks, domains, users, routes and the audit (the platform's migrations applied). */
      DATABASE_URL: env.url(['postgres', 'postgresql']),
      DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
      /** Where the model is published (KV CALLCTL_PROVISIONING) and bindings and trunk status are read. */
      NATS_URL: env.url(['nats']),
      /**
       * Seals trunks' outbound digest passwords (AES-256-GCM, 32 bytes of base64); sip-edge holds the same
       * key to open them. Required: a trunk with credentials cannot be stored without it.
       */
      PROVISIONING_SECRETS_KEY: z.string().refine(isSecretsKey, { message: 'expected 32 bytes of base64' }),
      /** How often NATS KV is made to match PostgreSQL again (a crash between commit and put heals). */
      PROVISIONING_RECONCILE_INTERVAL_MS: env.durationMs(60_000),
      /** Deadline of one KV put or delete. */
      PROVISIONING_KV_TIMEOUT_MS: env.durationMs(5000),
      /** Statements running longer are cancelled by PostgreSQL. */
      DATABASE_STATEMENT_TIMEOUT_MS: env.durationMs(10_000),
      ...INTERNAL_TLS_ENV,
      ...NATS_SECURITY_ENV,
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      SHUTDOWN_DRAIN_MS: env.durationMs(10_000),
      /**
       * The Provisioning port's security, the same variables as CallControl's (TLS, API_AUTH=token with
       * API_TOKENS_FILE; scopes provisioning:read and provisioning:write).
       */
      ...PUBLIC_API_ENV,
    },
    environment,
  );
  return {
    ...config,
    nats: natsSecurityOf('provisioning', config),
    ...publicApiSecurityOf('provisioning', config),
  };
}

export type ProvisioningConfig = ReturnType<typeof readConfig>;

/** The configuration as it may be logged: the secrets key never is. */
export function loggableConfig(config: ProvisioningConfig): Record<string, unknown> {
  const { PROVISIONING_SECRETS_KEY: _key, DATABASE_URL: databaseUrl, ...rest } = config;
  const url = new URL(databaseUrl);
  url.password = url.password ? '***' : '';
  return { ...rest, DATABASE_URL: url.toString() };
}
