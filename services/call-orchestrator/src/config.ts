import {
  env,
  loadConfig,
  PUBLIC_API_ENV,
  publicApiSecurityOf,
  type Environment,
  SECURITY_ENV,
  securityOf,
} from '@callctl/config';
import { TRACE_EXPORTERS } from '@callctl/telemetry';
import { z } from 'zod';
import { MEDIA_LOST_ACTIONS } from './domain/capabilities/media-loss/media-lost-actions.js';

const SERVICE = 'call-orchestrator';
export function readConfig(environment: Environment) {
  const config = loadConfig(
    SERVICE,
    {
      LOG_LEVEL: env.logLevel(),
      GRPC_HOST: env.host('127.0.0.1'),
      /** Public CallControl API (deploy/local/ports.env CALLCTL_ORCHESTRATOR_GRPC_PORT). */
      GRPC_PORT: env.port(50051),
      /** TLS, API_AUTH and API_TOKENS_FILE of the public port (the same for every public API). */
      ...PUBLIC_API_ENV,
      ...SECURITY_ENV,
      /** The event log. */
      DATABASE_URL: env.url(['postgres', 'postgresql']),
      DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
      /** JetStream: CALLCTL_FACTS is consumed, CALL_EVENTS is published by the relay. */
      NATS_URL: env.url(['nats']),
      /** sip-edge's internal gRPC (CALLCTL_SIP_EDGE_GRPC_PORT). */
      SIP_EDGE_GRPC: env.hostPort('127.0.0.1:50052'),
      SIP_EDGE_TIMEOUT_MS: env.durationMs(5000),
      /** SIPREC: how long one SRS may take to answer the INVITE before the next is tried ("SIP 408"). */
      SIPREC_INVITE_TIMEOUT_MS: env.durationMs(8000),
      /** media-worker's internal gRPC (CALLCTL_MEDIA_WORKER_GRPC_PORT). */
      MEDIA_WORKER_GRPC: env.hostPort('127.0.0.1:50053'),
      /** Play may download the prompt first: its deadline covers that. */
      MEDIA_WORKER_TIMEOUT_MS: env.durationMs(15_000),
      /** The tts service's internal gRPC (Say, spoken prompts). */
      TTS_GRPC: env.hostPort('127.0.0.1:50054'),
      /**
       * Longer than the tts service takes to answer at worst, so that its own answer (spoken by the fallback,
       * or its error) comes back rather than our deadline: a provider's timeout plus the fallback's (5 s +
       * 5 s by default), and TTS_REQUEST_TIMEOUT_MS (15 s), its bound on the wait for a turn and the speech.
       */
      TTS_TIMEOUT_MS: env.durationMs(20_000),
      /** The media library's gRPC (GetMedia for library file ids; the public MediaLibrary is forwarded). */
      MEDIA_LIBRARY_GRPC: env.hostPort('127.0.0.1:50055'),
      MEDIA_LIBRARY_TIMEOUT_MS: env.durationMs(5000),
      /**
       * The recording service's gRPC: its internal Recorder (StartRecording, RecordLeg, ...) and the public
       * Recordings, forwarded (deploy/local/ports.env CALLCTL_RECORDING_GRPC_PORT).
       */
      RECORDING_GRPC: env.hostPort('127.0.0.1:50056'),
      /** StartRecorder answers once the media-worker's forks are in place: two hops. */
      RECORDING_TIMEOUT_MS: env.durationMs(10_000),
      /**
       * The mixer's gRPC (monitoring: a room per monitored call), used while no mixer instance announces
       * itself on `instances.mixer.<name>`.
       */
      MIXER_GRPC: env.hostPort('127.0.0.1:50070'),
      MIXER_TIMEOUT_MS: env.durationMs(5000),
      /**
       * The stream gateway's gRPC (media streams to customer WebSockets), used while no gateway announces
       * itself on `instances.stream-gateway.<name>` (deploy/local/ports.env CALLCTL_STREAM_GATEWAY_GRPC_PORT).
       */
      STREAM_GATEWAY_GRPC: env.hostPort('127.0.0.1:50058'),
      /** OpenStream answers once the media-worker's forks are in place: two hops. */
      STREAM_GATEWAY_TIMEOUT_MS: env.durationMs(5000),
      /**
       * A device's call (LegInitiated with user and routed_to): `platform` dials routed_to itself, rings the
       * caller while it rings, answers and bridges the caller when it answers, and ends the caller's leg with
       * the callee's cause when it fails (seed 001: "to the cloud first"); `app` leaves it to the application,
       * as any inbound call.
       */
      DEVICE_CALL_ROUTING: z.enum(['platform', 'app']).default('platform'),
      /**
       * Calls whose request set no max_duration_ms (CreateCall, AnswerLeg) are hung up this long after the
       * answer (MAX_DURATION). 0 = no limit. Default 4 h.
       */
      DEFAULT_MAX_CALL_DURATION_MS: z.coerce.number().int().min(0).default(14_400_000),
      /** Directory on the media-worker's host with uploaded files (PlayMedia file_id). */
      MEDIA_FILES_DIR: z
        .string()
        .startsWith('/', { message: 'expected an absolute path' })
        .default('/var/lib/callctl/media'),
      /** Run the relay from the event log to CALL_EVENTS in this process. */
      RELAY_ENABLED: env.flag(true),
      /** Durable consumer name on CALLCTL_FACTS, shared by every instance. */
      FACTS_CONSUMER: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/)
        .default('call-orchestrator'),
      /**
       * How long a fact handed to an instance stays its own without an ack: after a kill -9, the facts the
       * dead instance held reach another (or its restart) this much later. Live instances keep theirs with
       * a progress signal every third of it, so slow handling is never redelivered.
       */
      FACTS_ACK_WAIT_MS: env.durationMs(5000),
      /** How often the legs in the log are compared with those sip-edge holds. */
      LEG_RECONCILE_INTERVAL_MS: env.durationMs(30_000),
      /** A leg whose media session vanished (MediaSessionLost): hung up (MEDIA_TIMEOUT), or only recorded. */
      MEDIA_LOST_ACTION: z
        .enum([MEDIA_LOST_ACTIONS.hangup, MEDIA_LOST_ACTIONS.record])
        .default(MEDIA_LOST_ACTIONS.hangup),
      /** A phone's REFER: performed at once, or the application asked (DecideTransfer) first. */
      REFER_POLICY: z.enum(['perform', 'ask']).default('perform'),
      /** ASK: how long the application has to decide before REFER_DEFAULT_DECISION applies. */
      REFER_DECISION_TIMEOUT_MS: env.durationMs(10_000),
      REFER_DEFAULT_DECISION: z.enum(['accept', 'decline']).default('accept'),
      CACHED_CALLS: z.coerce.number().int().min(0).default(10_000),
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      SHUTDOWN_DRAIN_MS: env.durationMs(10_000),
    },
    environment,
  );
  return {
    ...config,
    ...publicApiSecurityOf(SERVICE, config),
    ...securityOf(SERVICE, config),
  };
}

export type CallOrchestratorConfig = ReturnType<typeof readConfig>;
