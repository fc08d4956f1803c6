import { runService } from '@callctl/service/run-service';
import { readConfig } from './config.js';
import { parseUrlAllowList } from './domain/address-policy.js';

// Composition root, in the one main shape (runService): configuration first (a bad variable exits 78 with
// one line), then telemetry (runService starts it before this file loads gRPC, so that its calls are
// instrumented), then the adapters wired by hand; each resource registers its stop as soon as it exists.
runService({
  name: 'media-worker',
  loadConfig: () => readConfig(process.env),
  async start(config, { log, stops }) {
    const { startMediaWorker } = await import('./media-worker.js');
    const { readEngineStatus } = await import('./adapters/rtpengine/engine-status.js');
    const { connectBus } = await import('@callctl/bus');
    const { internalChannelCredentials, internalServerTls } = await import('@callctl/service');

    const nats = await connectBus({ servers: config.NATS_URL, name: 'media-worker', security: config.nats });
    stops.add('nats', () => nats.drain());

    const peers = internalChannelCredentials(config.internalTls, log);
    stops.add('peer credentials', () => peers.close());
    const worker = await startMediaWorker({
      log,
      nats,
      facts: {
        giveUpAfterMs: config.FACT_PUBLISH_GIVE_UP_MS,
        attemptTimeoutMs: config.FACT_PUBLISH_ATTEMPT_TIMEOUT_MS,
        // Half the shutdown budget: the rest is for the gRPC drain and the NATS flush.
        drainMs: config.SHUTDOWN_DRAIN_MS / 2,
      },
      state: { instance: config.MEDIA_WORKER_INSTANCE, timeoutMs: config.STATE_TIMEOUT_MS },
      grpc: {
        host: config.GRPC_HOST,
        port: config.GRPC_PORT,
        tls: internalServerTls(config.internalTls),
        healthPort: config.GRPC_HEALTH_PORT,
      },
      rtpengine: { ...config.RTPENGINE_NG, timeoutMs: config.RTPENGINE_TIMEOUT_MS },
      sessionCheckIntervalMs: config.SESSION_CHECK_INTERVAL_MS,
      dtmfLogListen: config.DTMF_LOG_LISTEN,
      localMediaHost: config.LOCAL_MEDIA_HOST,
      urlCache: {
        dir: config.MEDIA_CACHE_DIR,
        timeoutMs: config.MEDIA_FETCH_TIMEOUT_MS,
        maxBytes: config.MEDIA_FETCH_MAX_BYTES,
        maxAgeMs: config.MEDIA_CACHE_MAX_AGE_MS,
        maxTotalBytes: config.MEDIA_CACHE_MAX_BYTES,
        allow: parseUrlAllowList(config.MEDIA_URL_ALLOW),
      },
      mediaStores: { tts: config.TTS_GRPC, library: config.MEDIA_LIBRARY_GRPC },
      ...(config.ADVERTISE_GRPC ? { advertise: config.ADVERTISE_GRPC } : {}),
      ...(config.RTPENGINE_ADVERTISED_ADDRESS
        ? {
            media: {
              address: config.RTPENGINE_ADVERTISED_ADDRESS,
              portMin: config.RTPENGINE_PORT_MIN,
              portMax: config.RTPENGINE_PORT_MAX,
            },
          }
        : {}),
      peerCredentials: peers.credentials,
    });
    stops.add('media worker', () => worker.close());

    const status = await readEngineStatus(worker.ng, () => performance.now());
    if (!status.reachable) log.warn({ engine: worker.ng.address }, 'rtpengine not reachable yet');
    log.info(
      { grpc: worker.grpc.address, engine: worker.ng.address, dtmfLog: worker.dtmfLogAddress },
      'media-worker ready',
    );
  },
});
