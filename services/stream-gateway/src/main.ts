import { runService } from '@callctl/service/run-service';
import { loggableConfig, readConfig } from './config.js';

// Composition root, in the one main shape (runService): configuration first (a bad variable exits 78 with
// one line), then NATS, then the gateway (its gRPC server, the announcement). SIGTERM stops them in
// reverse: the announcement goes, the gRPC server drains, every stream is closed with `close` ("error:
// stream gateway shutting down") and its StreamClosed fact published, then NATS drains. Everything comes
// from the environment (readConfig), so a launcher only sets variables.
runService({
  name: 'stream-gateway',
  loadConfig: () => readConfig(process.env),
  async start(config, { log, stops }) {
    const { connectBus } = await import('@callctl/bus');
    const { internalChannelCredentials, internalServerTls } = await import('@callctl/service');
    const { startStreamGateway } = await import('./stream-gateway.js');
    log.debug({ config: loggableConfig(config) }, 'configuration');
    const nats = await connectBus({
      servers: config.NATS_URL,
      name: 'stream-gateway',
      security: config.nats,
    });
    stops.add('nats', () => nats.drain());
    const peers = internalChannelCredentials(config.internalTls, log);
    stops.add('peer credentials', () => peers.close());
    const gateway = await startStreamGateway({
      log,
      nats,
      facts: {
        giveUpAfterMs: config.FACT_PUBLISH_GIVE_UP_MS,
        attemptTimeoutMs: config.FACT_PUBLISH_ATTEMPT_TIMEOUT_MS,
      },
      mediaWorker: {
        address: `${config.MEDIA_WORKER_GRPC.host}:${config.MEDIA_WORKER_GRPC.port}`,
        timeoutMs: config.MEDIA_WORKER_TIMEOUT_MS,
        credentials: peers.credentials,
      },
      // Half the shutdown budget for the gRPC drain; the rest for closing the streams and their facts.
      grpc: {
        host: config.GRPC_HOST,
        port: config.GRPC_PORT,
        drainMs: config.SHUTDOWN_DRAIN_MS / 2,
        tls: internalServerTls(config.internalTls),
        healthPort: config.GRPC_HEALTH_PORT,
      },
      instance: config.STREAM_GATEWAY_INSTANCE,
      ...(config.ADVERTISE_GRPC ? { advertise: config.ADVERTISE_GRPC } : {}),
      rtp: {
        host: config.STREAM_RTP_HOST,
        portMin: config.STREAM_RTP_PORT_MIN,
        portMax: config.STREAM_RTP_PORT_MAX,
      },
      streams: {
        allowInsecure: config.STREAM_ALLOW_INSECURE,
        caFile: config.STREAM_CA_FILE,
        connectTimeoutMs: config.STREAM_CONNECT_TIMEOUT_MS,
        reconnectWindowMs: config.STREAM_RECONNECT_WINDOW_MS,
        bufferMs: config.STREAM_BUFFER_MS,
        playoutMaxMs: config.STREAM_PLAYOUT_MAX_MS,
        maxStreams: config.STREAM_MAX_STREAMS,
        idleMs: config.STREAM_IDLE_MS,
      },
      factDrainMs: config.SHUTDOWN_DRAIN_MS / 4,
    });
    stops.add('stream gateway', () => gateway.close());
    log.info(
      { grpc: gateway.grpc.address, instance: config.STREAM_GATEWAY_INSTANCE },
      'stream-gateway ready',
    );
  },
});
