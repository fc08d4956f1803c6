import { hostname } from 'node:os';
import { ConfigError, env, loadConfig, type Environment, SECURITY_ENV, securityOf } from '@callctl/config';
import { TRACE_EXPORTERS } from '@callctl/telemetry';
import { z } from 'zod';

const rtpPort = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export function readConfig(environment: Environment) {
  const config = loadConfig(
    'stream-gateway',
    {
      LOG_LEVEL: env.logLevel(),
      GRPC_HOST: env.host('127.0.0.1'),
      /** Serves callctl.streams.v1.StreamGateway (for the orchestrator) and the standard health service. */
      GRPC_PORT: env.port(50058),
      /**
       * host:port at which other services reach this instance (announced on NATS,
       * instances.stream-gateway.<name>): in Kubernetes the pod IP and the port. Unset: 127.0.0.1 and GRPC_PORT.
       */
      ADVERTISE_GRPC: env.advertisedAddress(),
      /** NATS with JetStream: StreamFacts are published on CALLCTL_FACTS (facts.stream.<callId>). */
      NATS_URL: env.url(['nats']),
      /** Give up publishing one fact after this long (below the stream's 10 min duplicate window). */
      FACT_PUBLISH_GIVE_UP_MS: env.durationMs(120_000),
      /** Deadline of one publish attempt, waiting for JetStream's ack. */
      FACT_PUBLISH_ATTEMPT_TIMEOUT_MS: env.durationMs(2000),
      /** gRPC address of the media-worker that forks the parties' RTP (StartFork, StopFork). */
      MEDIA_WORKER_GRPC: env.hostPort('127.0.0.1:50053'),
      /** Deadline of one call to the media-worker. */
      MEDIA_WORKER_TIMEOUT_MS: env.durationMs(3000),
      /**
       * Address the forks' UDP sockets bind to (rtpengine sends the parties' RTP there) and the address the
       * audio sent back to the mixer leaves from: an address of this host rtpengine and the mixer reach.
       */
      STREAM_RTP_HOST: env.host('127.0.0.1'),
      /** The forks' UDP ports, one per participant of a stream; 0 and 0: any port the OS gives. */
      STREAM_RTP_PORT_MIN: rtpPort(47000),
      STREAM_RTP_PORT_MAX: rtpPort(47999),
      /** Allow ws:// URLs (tests, a trusted network); wss:// only otherwise. */
      STREAM_ALLOW_INSECURE: env.flag(false),
      /** PEM file of extra CAs trusted for wss:// endpoints, beside the system's (a private CA, tests). */
      STREAM_CA_FILE: z.string().optional(),
      /** Deadline of one connection attempt (TCP, TLS and the upgrade). */
      STREAM_CONNECT_TIMEOUT_MS: env.durationMs(5000),
      /**
       * How long the gateway tries to reconnect a stream whose WebSocket broke (after `start` was sent
       * once), with backoff 250 ms doubling to 4 s; then the stream stops (ENDPOINT_GONE).
       */
      STREAM_RECONNECT_WINDOW_MS: env.durationMs(15_000),
      /**
       * Audio the gateway holds for an endpoint that does not keep up (ms, ≤ 2000): beyond it the oldest
       * frames are dropped and counted; socket buffers count against it, so memory stays bounded.
       */
      STREAM_BUFFER_MS: z.coerce.number().int().min(100).max(2000).default(2000),
      /**
       * Audio sent back by a bidirectional endpoint queued for playing (ms): beyond it the oldest queued
       * frames are dropped and counted (a bot sending faster than real time is normal; a minute is plenty).
       */
      STREAM_PLAYOUT_MAX_MS: env.durationMs(60_000),
      /**
       * A stream whose forks brought nothing for this long asks the media-worker whether its call's media
       * is still there, and is closed (call-ended) when it is not: a close that never came.
       */
      STREAM_IDLE_MS: env.durationMs(5000),
      /** Streams this instance holds at most; OpenStream beyond it is RESOURCE_EXHAUSTED. */
      STREAM_MAX_STREAMS: z.coerce.number().int().min(1).max(100_000).default(1000),
      /** This instance's name (the pod name in Kubernetes), in its announcement. */
      STREAM_GATEWAY_INSTANCE: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, { message: 'expected letters, digits, _, . or -' })
        .default(hostname().replace(/[^A-Za-z0-9_.-]/g, '-') || 'stream-gateway'),
      ...SECURITY_ENV,
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      SHUTDOWN_DRAIN_MS: env.durationMs(5000),
    },
    environment,
  );
  if (
    config.STREAM_RTP_PORT_MIN > config.STREAM_RTP_PORT_MAX ||
    (config.STREAM_RTP_PORT_MIN === 0) !== (config.STREAM_RTP_PORT_MAX === 0)
  )
    throw new ConfigError('stream-gateway', [
      {
        variable: 'STREAM_RTP_PORT_MAX',
        problem: `must be ≥ STREAM_RTP_PORT_MIN (${config.STREAM_RTP_PORT_MIN}), and both 0 or neither`,
      },
    ]);
  return { ...config, ...securityOf('stream-gateway', config) };
}

export type StreamGatewayConfig = ReturnType<typeof readConfig>;

/** The configuration for the debug log, without the NATS password. */
export function loggableConfig(config: StreamGatewayConfig): Record<string, unknown> {
  const redacted = config.NATS_PASSWORD ? '[redacted]' : undefined;
  return { ...config, NATS_PASSWORD: redacted, nats: { ...config.nats, password: redacted } };
}
