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
      /**
       * How often the sessions the worker knows are checked against rtpengine (ng list, then a query of each
       * missing one); a vanished session is reported as MediaSessionLost. 0: no check.
       */
      SESSION_CHECK_INTERVAL_MS: env.durationMs(10_000),
      /** Where rtpengine's --dtmf-log-dest points: the worker listens here for one JSON datagram per digit. */
      DTMF_LOG_LISTEN: env.hostPort('127.0.0.1:52230'),
      /** Address of the worker's own media sink (the local party of one-sided sessions). */
      LOCAL_MEDIA_HOST: env.host('127.0.0.1'),
      /** NATS with JetStream: media facts are published on CALLCTL_FACTS (facts.media.<callId>). */
      NATS_URL: env.url(['nats']),
      /** Give up publishing one media fact after this long (below the stream's 10 min duplicate window). */
      FACT_PUBLISH_GIVE_UP_MS: env.durationMs(120_000),
      /** Deadline of one publish attempt, waiting for JetStream's ack. */
      FACT_PUBLISH_ATTEMPT_TIMEOUT_MS: env.durationMs(2000),
      /**
       * This worker's name (the pod name in Kubernetes): its state on JetStream (MEDIA_WORKER_STATE) is its
       * own, and a start with the same name takes over the playbacks, bridges and local sessions of the
       * previous run. Workers running at the same time need different names.
       */
      MEDIA_WORKER_INSTANCE: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, { message: 'expected letters, digits, _ or -' })
        .default('media-worker'),
      /** Deadline of one write of that state (before Play, Answer and AnswerLocally reply) or read at start. */
      STATE_TIMEOUT_MS: env.durationMs(2000),
      /** Directory http(s) prompts are downloaded to before rtpengine plays them. */
      MEDIA_CACHE_DIR: z.string().min(1).default('/tmp/callctl-media-cache'),
      /** Deadline of one prompt download. */
      MEDIA_FETCH_TIMEOUT_MS: env.durationMs(10_000),
      /** Largest prompt accepted from a URL, in bytes. */
      MEDIA_FETCH_MAX_BYTES: z.coerce
        .number()
        .int()
        .positive()
        .default(20 * 1024 * 1024),
      /** A downloaded prompt older than this is fetched again (the URL's content may have changed). */
      MEDIA_CACHE_MAX_AGE_MS: env.durationMs(3_600_000),
      /** Total size of the cache directory; the least recently used prompts are removed beyond it. */
      MEDIA_CACHE_MAX_BYTES: z.coerce
        .number()
        .int()
        .positive()
        .default(500 * 1024 * 1024),
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      SHUTDOWN_DRAIN_MS: env.durationMs(10_000),
    },
    environment,
  );
}

export type MediaWorkerConfig = ReturnType<typeof readConfig>;
