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

const rtpPort = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export function readConfig(environment: Environment) {
  const config = loadConfig(
    'mixer',
    {
      LOG_LEVEL: env.logLevel(),
      GRPC_HOST: env.host('127.0.0.1'),
      /** Serves callctl.mixer.v1.Mixer (peers reach it at MIXER_GRPC, or at its announced address). */
      GRPC_PORT: env.port(50070),
      /**
       * host:port at which other services reach this instance (announced on NATS, instances.mixer.<name>): in
       * Kubernetes the pod IP and the port. Unset: 127.0.0.1 and GRPC_PORT.
       */
      ADVERTISE_GRPC: env.advertisedAddress(),
      /**
       * The address the participants' UDP sockets bind to and that their SDP gives rtpengine: an address of
       * this host that rtpengine reaches (loopback when they share a host; the pod IP in a cluster).
       */
      MIXER_RTP_HOST: env.host('127.0.0.1'),
      /** The participants' UDP ports, one each; 0 and 0: any port the OS gives. */
      MIXER_RTP_PORT_MIN: rtpPort(46000),
      MIXER_RTP_PORT_MAX: rtpPort(46999),
      /** NATS, where the instance announces itself (instances.mixer.<name>). Unset: not announced. */
      NATS_URL: env.url(['nats']).optional(),
      /** This instance's name (the pod name in Kubernetes), in its announcement. */
      MIXER_INSTANCE: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, { message: 'expected letters, digits, _ or -' })
        .default('mixer'),
      ...INTERNAL_TLS_ENV,
      ...NATS_SECURITY_ENV,
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      SHUTDOWN_DRAIN_MS: env.durationMs(5000),
    },
    environment,
  );
  if (
    config.MIXER_RTP_PORT_MIN > config.MIXER_RTP_PORT_MAX ||
    (config.MIXER_RTP_PORT_MIN === 0) !== (config.MIXER_RTP_PORT_MAX === 0)
  )
    throw new ConfigError('mixer', [
      {
        variable: 'MIXER_RTP_PORT_MAX',
        problem: `must be ≥ MIXER_RTP_PORT_MIN (${config.MIXER_RTP_PORT_MIN}), and both 0 or neither`,
      },
    ]);
  return { ...config, internalTls: internalTlsOf('mixer', config), nats: natsSecurityOf('mixer', config) };
}

export type MixerConfig = ReturnType<typeof readConfig>;

/** The configuration as it may be logged: the NATS password replaced by whether it is set. */
export function loggableConfig(config: MixerConfig): Record<string, unknown> {
  const redacted = config.NATS_PASSWORD ? '[redacted]' : undefined;
  return { ...config, NATS_PASSWORD: redacted, nats: { ...config.nats, password: redacted } };
}
