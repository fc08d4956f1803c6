import { runService } from '@callctl/service/run-service';
import { readConfigWithDrain } from './config.js';

// Composition root, in the one main shape (runService): configuration first (a bad variable exits 78 with
// one line), then telemetry (runService starts it before this file loads gRPC, so that its calls are
// instrumented), then the edge wired by hand; each resource registers its stop as soon as it exists.
runService({
  name: 'sip-edge',
  loadConfig: () => readConfigWithDrain(process.env),
  async start(config, { log, stops }) {
    const { startSipEdge } = await import('./sip-edge.js');
    const { internalChannelCredentials, internalServerTls } = await import('@callctl/service');
    const peers = internalChannelCredentials(config.internalTls, log);
    stops.add('peer credentials', () => peers.close());

    log.info({ engine: config.SIP_ENGINE_ADMIN }, 'connecting to the SIP engine');
    const edge = await startSipEdge({
      log,
      grpc: {
        host: config.GRPC_HOST,
        port: config.GRPC_PORT,
        tls: internalServerTls(config.internalTls),
        healthPort: config.GRPC_HEALTH_PORT,
      },
      engine: { ...config.SIP_ENGINE_ADMIN, secret: config.SIP_ENGINE_SECRET },
      natsUrl: config.NATS_URL,
      natsSecurity: config.nats,
      instance: config.SIP_EDGE_INSTANCE,
      ...(config.ADVERTISE_GRPC ? { advertise: config.ADVERTISE_GRPC } : {}),
      facts: {
        giveUpAfterMs: config.FACT_PUBLISH_GIVE_UP_MS,
        offerGiveUpAfterMs: config.OFFER_PUBLISH_GIVE_UP_MS,
        attemptTimeoutMs: config.FACT_PUBLISH_ATTEMPT_TIMEOUT_MS,
      },
      mediaWorker: {
        address: `${config.MEDIA_WORKER_GRPC.host}:${config.MEDIA_WORKER_GRPC.port}`,
        timeoutMs: config.MEDIA_WORKER_TIMEOUT_MS,
        credentials: peers.credentials,
      },
      legs: {
        answerTimeoutMs: config.ANSWER_TIMEOUT_MS,
        defaultRejectStatus: config.DEFAULT_REJECT_STATUS,
        defaultRingTimeoutMs: config.RING_TIMEOUT_MS,
        defaultFromUri: config.DEFAULT_FROM_URI,
        codecs: config.CODECS,
        sdesOverTls: config.SIP_TLS_OUTBOUND_SRTP,
      },
      drain: { maxMs: config.SIP_EDGE_DRAIN_MAX_MS, retryAfterS: config.SIP_EDGE_DRAIN_RETRY_AFTER_S },
      outbound: { gatewayAttemptTimeoutMs: config.GATEWAY_ATTEMPT_TIMEOUT_MS },
      ...(config.PROVISIONING_SECRETS_KEY ? { secretsKey: config.PROVISIONING_SECRETS_KEY } : {}),
      access: {
        allowCidrs: config.INBOUND_ALLOW_CIDRS,
        rejectStatus: config.INBOUND_REJECT_STATUS,
        ...(config.REGISTRAR_NONCE_SECRET ? { nonceSecret: config.REGISTRAR_NONCE_SECRET } : {}),
        nonceTtlMs: config.REGISTRAR_NONCE_TTL_MS,
        algorithms: config.DIGEST_ALGORITHMS,
        limits: {
          minExpiresS: config.REGISTRAR_MIN_EXPIRES_S,
          maxExpiresS: config.REGISTRAR_MAX_EXPIRES_S,
          defaultExpiresS: config.REGISTRAR_DEFAULT_EXPIRES_S,
          maxContacts: config.REGISTRAR_MAX_CONTACTS,
        },
      },
      trunkRegistration: {
        retry: { minMs: config.TRUNK_REGISTER_RETRY_MIN_MS, maxMs: config.TRUNK_REGISTER_RETRY_MAX_MS },
        attemptTimeoutMs: config.GATEWAY_ATTEMPT_TIMEOUT_MS,
      },
    });
    stops.add('sip-edge', () => edge.close());
    log.info({ grpc: edge.grpc.address }, 'sip-edge ready');
  },
});
