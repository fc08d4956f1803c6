import { runService } from '@callctl/service/run-service';
import { loggableConfig, readConfig } from './config.js';

// Composition root, in the one main shape (runService): configuration first (a bad variable exits 78 with
// one line), then telemetry, the mixer (rooms, the clock, the gRPC server), then the announcement. SIGTERM
// stops them in reverse: the announcement says `gone`, the gRPC server turns NOT_SERVING (media-workers
// watching it restore their routes) and drains, then every room is closed.
runService({
  name: 'mixer',
  loadConfig: () => readConfig(process.env),
  async start(config, { log, stops }) {
    const { startMixer } = await import('./mixer.js');
    const { internalServerTls } = await import('@callctl/service');
    const mixer = await startMixer({
      log,
      grpc: {
        host: config.GRPC_HOST,
        port: config.GRPC_PORT,
        drainMs: config.SHUTDOWN_DRAIN_MS / 2,
        tls: internalServerTls(config.internalTls),
        healthPort: config.GRPC_HEALTH_PORT,
      },
      rtpHost: config.MIXER_RTP_HOST,
      rtpPortMin: config.MIXER_RTP_PORT_MIN,
      rtpPortMax: config.MIXER_RTP_PORT_MAX,
    });
    stops.add('mixer', () => mixer.close());
    if (config.NATS_URL) {
      const { advertiseInstance, connectBus } = await import('@callctl/bus');
      const nats = await connectBus({ servers: config.NATS_URL, name: 'mixer', security: config.nats });
      stops.add('nats', () => nats.drain());
      const advertisement = await advertiseInstance({
        nc: nats,
        kind: 'mixer',
        name: config.MIXER_INSTANCE,
        address: config.ADVERTISE_GRPC ?? `127.0.0.1:${mixer.grpc.port}`,
      });
      stops.add('announcement', () => advertisement.close());
    }
    log.info({ grpc: mixer.grpc.address, config: loggableConfig(config) }, 'mixer ready');
  },
});
