import { env, loadConfig, type Environment, SECURITY_ENV, securityOf } from '@callctl/config';
import { TRACE_EXPORTERS } from '@callctl/telemetry';
import { z } from 'zod';
import { DEFAULT_CODEC_POLICY, parseCodecPolicy, type CodecPolicy } from './domain/codec-policy.js';
import { parseAllowCidrs } from './domain/inbound-caller.js';

export function readConfig(environment: Environment) {
  const config = loadConfig(
    'sip-edge',
    {
      LOG_LEVEL: env.logLevel(),
      /**
       * This instance's name (the pod name in Kubernetes): its leg journal on JetStream is its own, and the
       * legs a previous run with the same name left are ended at start.
       */
      SIP_EDGE_INSTANCE: z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, { message: 'expected letters, digits, _ or -' })
        .default('sip-edge'),
      /** The internal SipEdge gRPC API (callctl.sipedge.v1) for the orchestrator. */
      GRPC_HOST: env.host('127.0.0.1'),
      GRPC_PORT: env.port(50052),
      /**
       * host:port at which other services reach this instance (announced on NATS, instances.<kind>.<name>):
       * in Kubernetes the pod IP and the port. Unset: 127.0.0.1 and GRPC_PORT.
       */
      ADVERTISE_GRPC: env.advertisedAddress(),
      /** Admin (drachtio control protocol) port of the SIP engine: drachtio-server or services/sip-engine. */
      SIP_ENGINE_ADMIN: env.hostPort('127.0.0.1:9022'),
      SIP_ENGINE_SECRET: z.string().min(1).default('cymru'),
      /** NATS with JetStream: SipFacts go to stream CALLCTL_FACTS. */
      NATS_URL: env.url(['nats']),
      /** An InboundCallOffered fact not stored within this long: the INVITE is refused with 503. */
      OFFER_PUBLISH_GIVE_UP_MS: env.durationMs(5000),
      /** Any other fact is retried this long (NATS restarting), then logged as lost. */
      FACT_PUBLISH_GIVE_UP_MS: env.durationMs(120_000),
      FACT_PUBLISH_ATTEMPT_TIMEOUT_MS: env.durationMs(2000),
      /** gRPC address of the media-worker: every SDP sip-edge sends passes through rtpengine. */
      MEDIA_WORKER_GRPC: env.hostPort('127.0.0.1:50053'),
      MEDIA_WORKER_TIMEOUT_MS: env.durationMs(3000),
      /** An inbound INVITE neither answered nor rejected within this long gets DEFAULT_REJECT_STATUS. */
      ANSWER_TIMEOUT_MS: env.durationMs(10_000),
      DEFAULT_REJECT_STATUS: z.coerce
        .number({ message: 'expected a SIP status 400-699' })
        .int()
        .min(400, { message: 'expected a SIP status 400-699' })
        .max(699, { message: 'expected a SIP status 400-699' })
        .default(480),
      /** Ring timeout of an outbound INVITE when PlaceCall gives none: CANCEL after this long. */
      RING_TIMEOUT_MS: env.durationMs(30_000),
      /** From URI of outbound INVITEs when PlaceCall gives none (the engine fills in `localhost`). */
      DEFAULT_FROM_URI: z.string().min(1).default('sip:callctl@localhost'),
      /**
       * Allowed audio codecs, most preferred first (domain/codec-policy.ts says why this default), applied to
       * every offer: the platform's own answers pick the first of them the caller offered, and offers to
       * dialled or bridged parties carry exactly these (transcoded where the offerer lacks them).
       */
      CODECS: z
        .string()
        .default(DEFAULT_CODEC_POLICY)
        .transform((text, ctx): CodecPolicy => {
          try {
            return parseCodecPolicy(text);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: (error as Error).message });
            return z.NEVER;
          }
        }),
      /**
       * Offer SDES-SRTP (RTP/SAVP with a=crypto keys) to outbound legs whose INVITE goes over TLS only
       * (a sips: or transport=tls target, trunk gateway or registered contact). Off by default: a phone
       * without SRTP would refuse the call. Inbound legs are answered in the profile they offered.
       */
      SIP_TLS_OUTBOUND_SRTP: env.flag(false),
      ...SECURITY_ENV,
      OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
      OTEL_EXPORTER_OTLP_ENDPOINT: z.string().optional(),
      /**
       * On SIGTERM, how long calls already up may go on (new INVITEs get 503 meanwhile) before the rest are
       * hung up. 0 ends them at once. The chart sets an hour, with the pod's grace period above it.
       */
      SIP_EDGE_DRAIN_MAX_MS: z.coerce
        .number({ message: 'expected milliseconds' })
        .int()
        .min(0, { message: 'expected milliseconds >= 0' })
        .default(0),
      /** Retry-After (seconds) of the 503 to new INVITEs while draining. */
      SIP_EDGE_DRAIN_RETRY_AFTER_S: z.coerce
        .number({ message: 'expected seconds' })
        .int()
        .positive({ message: 'expected seconds > 0' })
        .default(30),
      /** How long closing may take once the calls are gone (or hung up); added to SIP_EDGE_DRAIN_MAX_MS. */
      SHUTDOWN_DRAIN_MS: env.durationMs(5000),
      /**
       * Sources whose INVITEs are accepted without a provisioned trunk (comma-separated IPs or CIDRs), as if
       * they were one trunk with no name: for a lab, or a fronting SBC. Empty (the default): only trunks'
       * sources and authenticated devices may call in; anything else gets INBOUND_REJECT_STATUS.
       */
      INBOUND_ALLOW_CIDRS: z
        .string()
        .default('')
        .superRefine((text, ctx) => {
          try {
            parseAllowCidrs(text);
          } catch (error) {
            ctx.addIssue({ code: 'custom', message: (error as Error).message });
          }
        }),
      /** The answer to an INVITE from a source that is no trunk's and no authenticated device (counted). */
      INBOUND_REJECT_STATUS: z.coerce
        .number({ message: 'expected a SIP status 400-699' })
        .int()
        .min(400, { message: 'expected a SIP status 400-699' })
        .max(699, { message: 'expected a SIP status 400-699' })
        .default(403),
      /**
       * The registrar's nonce secret (HMAC): every sip-edge instance must share it, so that a nonce issued
       * by one is accepted by another (the chart takes it from a Secret). Unset: random per process, which
       * is right for one instance only (logged at start).
       */
      REGISTRAR_NONCE_SECRET: z.string().min(16, { message: 'expected at least 16 characters' }).optional(),
      /** A nonce older than this is answered with a new challenge, stale=true. */
      REGISTRAR_NONCE_TTL_MS: env.durationMs(300_000),
      /** Expiry bounds of registrations (s): below the minimum is 423 Interval Too Brief (Min-Expires). */
      REGISTRAR_MIN_EXPIRES_S: z.coerce.number().int().positive().default(60),
      REGISTRAR_MAX_EXPIRES_S: z.coerce.number().int().positive().default(3600),
      REGISTRAR_DEFAULT_EXPIRES_S: z.coerce.number().int().positive().default(3600),
      /** Contacts kept per AOR; a REGISTER adding more gets 403 (the oldest are not silently dropped). */
      REGISTRAR_MAX_CONTACTS: z.coerce.number().int().positive().default(10),
      /** Challenges offered to devices, most preferred first (RFC 8760: one header per algorithm). */
      DIGEST_ALGORITHMS: z
        .string()
        .default('SHA-256,MD5')
        .transform((text, ctx) => {
          const list = text
            .split(',')
            .map((a) => a.trim())
            .filter(Boolean);
          const bad = list.filter((a) => a !== 'SHA-256' && a !== 'MD5');
          if (list.length === 0 || bad.length > 0) {
            ctx.addIssue({ code: 'custom', message: 'expected SHA-256 and/or MD5, comma-separated' });
            return z.NEVER;
          }
          return list as Array<'SHA-256' | 'MD5'>;
        }),
      /**
       * Opens trunks' sealed secrets (outbound digest passwords): 32 bytes, base64, the same as the
       * provisioning service's. Unset: trunks with outbound credentials cannot answer challenges (logged).
       */
      PROVISIONING_SECRETS_KEY: z.string().optional(),
      /** Registration to providers: first retry after a failure, doubling up to the maximum. */
      TRUNK_REGISTER_RETRY_MIN_MS: env.durationMs(5000),
      TRUNK_REGISTER_RETRY_MAX_MS: env.durationMs(300_000),
      /** A REGISTER or INVITE attempt to a gateway not answered finally within this long fails over. */
      GATEWAY_ATTEMPT_TIMEOUT_MS: env.durationMs(8000),
    },
    environment,
  );
  return {
    ...config,
    ...securityOf('sip-edge', config),
  };
}

/**
 * The configuration, with runService's shutdown bound covering the calls' drain as well as the closing
 * after it (SHUTDOWN_DRAIN_MS alone would cut a drain of calls short).
 */
export function readConfigWithDrain(environment: Environment) {
  const config = readConfig(environment);
  return { ...config, SHUTDOWN_DRAIN_MS: config.SHUTDOWN_DRAIN_MS + config.SIP_EDGE_DRAIN_MAX_MS };
}

export type SipEdgeConfig = ReturnType<typeof readConfig>;
