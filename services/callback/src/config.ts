import {
  env,
  loadConfig,
  type Environment,
  INTERNAL_TLS_ENV,
  internalTlsOf,
  NATS_SECURITY_ENV,
  natsSecurityOf,
  PUBLIC_API_ENV,
  publicApiSecurityOf,
} from '@callctl/config';
import { TRACE_EXPORTERS } from '@callctl/telemetry';
import { z } from 'zod';

const count = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalText = () =>
  z
    .string()
    .optional()
    .transform((v) => (v ? v : undefined));

/**
 * The callback service's settings. The dial plan, the peer list and the announcements are parsed by their own
 * modules (app/dial-plan.ts, iif/peers.ts, app/announcements.ts), which name the variable in their errors.
 */
export function readConfig(environment: Environment) {
  const config = loadConfig(
    'callback',
    {
      LOG_LEVEL: env.logLevel(),
      GRPC_HOST: env.host('127.0.0.1'),
      /** Serves the public callctl.v1.Callback and grpc.health.v1.Health. */
      GRPC_PORT: env.port(50057),
      /** The UDP inner interface (IIF, seed 004): REQUEST in, ACK and RESPONSE out. */
      IIF_HOST: env.host('127.0.0.1'),
      IIF_PORT: env.port(5080),
      /**
       * The peer servers allowed to send REQUESTs (seed 004 "Peer server"), whitespace or comma separated:
       * `[name=]host[:port]`; without a port any source port of that host is allowed. A datagram from anyone
       * else is dropped and logged. Empty: the IIF accepts nobody.
       */
      CALLBACK_IIF_PEERS: z.string().default(''),
      /** RESPONSE is resent this often (doubling) until the requester's `ACK: id=..;code=ok` ... */
      CALLBACK_IIF_RESPONSE_RETRY_MS: env.durationMs(1000),
      /** ... at most this many datagrams in all, then given up (CallbackResponseSettled acknowledged=false). */
      CALLBACK_IIF_RESPONSE_ATTEMPTS: count(6),
      /** A REQUEST repeating one that ended less than this long ago is a retransmission (same ACK, no call). */
      CALLBACK_IIF_RETRANSMISSION_WINDOW_MS: env.durationMs(32_000),
      /** Datagrams larger than this are dropped unread (the seed's messages are well under 1 kB). */
      CALLBACK_IIF_MAX_DATAGRAM_BYTES: count(2048),
      /**
       * How users become SIP URIs: whitespace-separated rules `<prefix>=><template>`, first match wins; a rule
       * without `=>` matches every user. `{user}` in the template is the user. A user no rule matches is
       * unknown (IIF code=fail, gRPC NOT_FOUND). Example: `9=>sip:{user}@gw-a:5060 sip:{user}@127.0.0.1:5090`.
       */
      CALLBACK_DIAL_PLAN: z.string().min(1).default('sip:{user}@127.0.0.1:5090'),
      /** The caller both calls carry (seed 004 "default caller"; some providers refuse an empty one). */
      CALLBACK_DEFAULT_CALLER: z.string().min(1).default('callback'),
      /** The From URI of a caller that is a number or a name (a caller that is a sip: URI is used as is). */
      CALLBACK_CALLER_URI_TEMPLATE: z.string().min(1).default('sip:{caller}@callctl.invalid'),
      /** How long each user may ring. */
      CALLBACK_RING_TIMEOUT_MS: env.durationMs(30_000),
      /** The longest duration a request may ask for (seconds); more is refused. */
      CALLBACK_MAX_DURATION_S: count(86_400),
      /**
       * Announcements by 8-digit id, whitespace separated: `<id>=file:<media id or file>`, `<id>=url:<https URL>`
       * or `<id>=say:<text with + for spaces>`. An id not listed is looked up in the media library (a file named
       * `<id>` or `<id>.<ext>`). Built in unless overridden: 00080002 (the default ann_id1, "please wait while
       * your call is connected") and 00080003 (user2 failed).
       */
      CALLBACK_ANNOUNCEMENTS: z.string().default(''),
      /** Played to user1 when user2 fails, before user1 is released; `none`: released at once. */
      CALLBACK_USER2_FAILED_ANNOUNCEMENT: z.string().default('00080003'),
      /** Admission: callbacks not over at once, and new callbacks per second (a token bucket of that size). */
      CALLBACK_MAX_ACTIVE: count(1000),
      CALLBACK_MAX_PER_SECOND: count(50),
      /** The public CallControl (and MediaLibrary) API the callbacks are driven through. */
      CALLCTL_API: env.hostPort('127.0.0.1:50051'),
      /** A token for that API (its API_AUTH=token), and whether to use TLS towards it. */
      CALLCTL_API_TOKEN: optionalText(),
      CALLCTL_API_TLS: env.flag(false),
      /**
       * The CA (PEM file) that signed that API's certificate, with CALLCTL_API_TLS. Unset: the internal CA
       * (INTERNAL_TLS_CA_FILE) when internal TLS is configured (the chart's API certificate then comes from it),
       * else the system's CAs.
       */
      CALLCTL_API_CA_FILE: optionalText(),
      CALLCTL_API_TIMEOUT_MS: env.durationMs(10_000),
      /** The callback service's own event log: a database of its own (the platform's migrations applied). */
      DATABASE_URL: env.url(['postgres', 'postgresql']),
      DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
      /** Where CALL_EVENTS are read and CALLBACK_EVENTS published. */
      NATS_URL: env.url(['nats']),
      /** The durable JetStream consumer of CALL_EVENTS (shared by every instance: each event to one). */
      CALLBACK_EVENTS_CONSUMER: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, { message: 'expected letters, digits, _ or -' })
        .default('callback'),
      /** This instance's name (the pod name in Kubernetes), in logs. */
      CALLBACK_INSTANCE: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, { message: 'expected letters, digits, _ or -' })
        .default('callback'),
      /** Also publish callback events as JSON on `callbacks-json.>` for humans. */
      PUBLISH_JSON: env.flag(false),
      ...INTERNAL_TLS_ENV,
      ...NATS_SECURITY_ENV,
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      SHUTDOWN_DRAIN_MS: env.durationMs(10_000),
      /**
       * The Callback port's security, the same variables as CallControl's (TLS, API_AUTH=token with
       * API_TOKENS_FILE; scopes callbacks:read and callbacks:write).
       */
      ...PUBLIC_API_ENV,
    },
    environment,
  );
  return {
    ...config,
    nats: natsSecurityOf('callback', config),
    internalTls: internalTlsOf('callback', config),
    ...publicApiSecurityOf('callback', config),
  };
}

export type CallbackConfig = ReturnType<typeof readConfig>;
