import { isLoopback } from '@callctl/config';
import { runService } from '@callctl/service/run-service';
import { readConfig } from './config.js';

// Composition root, in the one main shape (runService): configuration first (a bad variable exits 78 with
// one line), then telemetry (runService starts it before this file loads gRPC, so that its calls are
// instrumented), then the orchestrator wired by hand; each resource registers its stop as soon as it exists.
runService({
  name: 'call-orchestrator',
  loadConfig: () => readConfig(process.env),
  async start(config, { log, stops }) {
    const { startCallOrchestrator } = await import('./call-orchestrator.js');

    const hostPort = (a: { host: string; port: number }) => `${a.host}:${a.port}`;
    if (config.API_AUTH === 'token' && !config.publicTls && !isLoopback(config.GRPC_HOST))
      // Allowed, for TLS ended in front of the port (a mesh, an ingress), but worth a line at every start.
      log.warn({ host: config.GRPC_HOST }, 'API tokens are accepted over plaintext gRPC (GRPC_TLS_* unset)');

    const orchestrator = await startCallOrchestrator({
      log,
      grpc: {
        host: config.GRPC_HOST,
        port: config.GRPC_PORT,
        tls: config.publicTls,
        healthPort: config.GRPC_HEALTH_PORT,
      },
      apiTokensFile: config.apiTokensFile,
      databaseUrl: config.DATABASE_URL,
      databasePoolSize: config.DATABASE_POOL_SIZE,
      natsUrl: config.NATS_URL,
      natsSecurity: config.nats,
      internalTls: config.internalTls,
      sipEdge: { address: hostPort(config.SIP_EDGE_GRPC), timeoutMs: config.SIP_EDGE_TIMEOUT_MS },
      mediaWorker: {
        address: hostPort(config.MEDIA_WORKER_GRPC),
        timeoutMs: config.MEDIA_WORKER_TIMEOUT_MS,
        mediaFilesDir: config.MEDIA_FILES_DIR,
      },
      tts: { address: hostPort(config.TTS_GRPC), timeoutMs: config.TTS_TIMEOUT_MS },
      mediaLibrary: {
        address: hostPort(config.MEDIA_LIBRARY_GRPC),
        timeoutMs: config.MEDIA_LIBRARY_TIMEOUT_MS,
      },
      recording: { address: hostPort(config.RECORDING_GRPC), timeoutMs: config.RECORDING_TIMEOUT_MS },
      siprec: { inviteTimeoutMs: config.SIPREC_INVITE_TIMEOUT_MS },
      mixer: { address: hostPort(config.MIXER_GRPC), timeoutMs: config.MIXER_TIMEOUT_MS },
      streamGateway: {
        address: hostPort(config.STREAM_GATEWAY_GRPC),
        timeoutMs: config.STREAM_GATEWAY_TIMEOUT_MS,
      },
      defaultMaxCallDurationMs: config.DEFAULT_MAX_CALL_DURATION_MS,
      relay: config.RELAY_ENABLED,
      factsConsumerName: config.FACTS_CONSUMER,
      facts: { ackWaitMs: config.FACTS_ACK_WAIT_MS },
      cachedCalls: config.CACHED_CALLS,
      legReconcileIntervalMs: config.LEG_RECONCILE_INTERVAL_MS,
      mediaLostAction: config.MEDIA_LOST_ACTION,
      referPolicy: {
        ask: config.REFER_POLICY === 'ask',
        decisionTimeoutMs: config.REFER_DECISION_TIMEOUT_MS,
        defaultAccept: config.REFER_DEFAULT_DECISION === 'accept',
      },
      deviceCallRouting: config.DEVICE_CALL_ROUTING,
    });
    stops.add('call orchestrator', () => orchestrator.close());
    log.info({ grpc: orchestrator.grpc.address }, 'call-orchestrator ready');
  },
});
