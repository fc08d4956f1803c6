import { ConfigError, env, loadConfig, type Environment, SECURITY_ENV, securityOf } from '@callctl/config';
import { TRACE_EXPORTERS } from '@callctl/telemetry';
import { z } from 'zod';
import { parseUrlAllowList } from './domain/address-policy.js';

function allowListError(text: string): string | undefined {
  try {
    parseUrlAllowList(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function readConfig(environment: Environment) {
  const config = loadConfig(
    'media-worker',
    {
      LOG_LEVEL: env.logLevel(),
      GRPC_HOST: env.host('127.0.0.1'),
      GRPC_PORT: env.port(50053),
      /**
       * host:port at which other services reach this instance (announced on NATS, instances.<kind>.<name>):
       * in Kubernetes the pod IP and the port. Unset: 127.0.0.1 and GRPC_PORT.
       */
      ADVERTISE_GRPC: env.advertisedAddress(),
      /** rtpengine ng control socket (UDP). */
      RTPENGINE_NG: env.hostPort('127.0.0.1:52222'),
      /** Deadline of one ng command. */
      RTPENGINE_TIMEOUT_MS: env.durationMs(2000),
      /**
       * What this worker's rtpengine puts in SDP (its --interface, the part after `!` when it has one) and
       * its --port-min/--port-max: announced so that GetMediaResources tells carriers what to allowlist.
       * Unset address: no media addresses are announced.
       */
      RTPENGINE_ADVERTISED_ADDRESS: z
        .string()
        .optional()
        .transform((v) => (v ? v : undefined)),
      RTPENGINE_PORT_MIN: env.port(30000),
      RTPENGINE_PORT_MAX: env.port(40000),
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
      /**
       * Directory http(s) prompts and MediaStore media are fetched to before rtpengine plays them. rtpengine
       * opens the file by this path on its own file system: the worker runs beside rtpengine and shares this
       * directory with it (same host, or one volume mounted at the same path in both containers).
       */
      MEDIA_CACHE_DIR: z.string().min(1).default('/tmp/callctl-media-cache'),
      /**
       * Addresses prompt URLs may be downloaded from although they are loopback, private, CGNAT, link-local
       * (cloud metadata), unspecified or multicast: a comma list of CIDRs and/or host names, e.g.
       * `127.0.0.1/32,prompts.internal`. Empty: only public addresses.
       */
      MEDIA_URL_ALLOW: z
        .string()
        .default('')
        .refine((text) => allowListError(text) === undefined, {
          message: 'expected CIDRs and/or host names, comma-separated',
        }),
      /** MediaStore of synthesized speech (the tts service): PlayRequest sources `tts:<media id>`. */
      TTS_GRPC: z.string().min(1).default('127.0.0.1:50054'),
      /** MediaStore of uploaded prompts (the media-library service): sources `library:<media id>`. */
      MEDIA_LIBRARY_GRPC: z.string().min(1).default('127.0.0.1:50055'),
      /** Deadline of one prompt download or MediaStore fetch. */
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
      ...SECURITY_ENV,
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      SHUTDOWN_DRAIN_MS: env.durationMs(10_000),
    },
    environment,
  );
  if (config.RTPENGINE_PORT_MIN > config.RTPENGINE_PORT_MAX)
    throw new ConfigError('media-worker', [
      { variable: 'RTPENGINE_PORT_MIN', problem: 'must not be above RTPENGINE_PORT_MAX' },
    ]);
  return {
    ...config,
    ...securityOf('media-worker', config),
  };
}

export type MediaWorkerConfig = ReturnType<typeof readConfig>;
