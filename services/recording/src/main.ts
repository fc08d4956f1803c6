import { runService } from '@callctl/service/run-service';
import { loggableConfig, readConfig } from './config.js';

// Composition root, in the one main shape (runService): configuration first (a bad variable exits 78 with
// one line), then telemetry, the database client, NATS, the store, the recorder engine and the service
// (restart recovery, then the gRPC server); each registers its stop as soon as it exists.
runService({
  name: 'recording',
  loadConfig: () => readConfig(process.env),
  async start(config, { log, stops }) {
    const { createDb } = await import('@callctl/db');
    const { connectBus } = await import('@callctl/bus');
    const { prismaRecordingRepository } = await import('./adapters/db/prisma-recording-repository.js');
    const { withDatabaseUnavailable } = await import('./adapters/db/database-unavailable.js');
    const { recordingStoreFromConfig } = await import('./adapters/storage/recording-store-from-config.js');
    const { createRecorderEngine } = await import('./app/recorder-engine.js');
    const { startRecordingService } = await import('./recording-service.js');
    const { internalChannelCredentials, internalServerTls } = await import('@callctl/service');

    log.debug({ config: loggableConfig(config) }, 'configuration');
    const storage = recordingStoreFromConfig(config);
    stops.add('store', () => storage.close());
    const db = createDb({ databaseUrl: config.DATABASE_URL, maxConnections: config.DATABASE_POOL_SIZE });
    stops.add('database', () => db.$disconnect());
    // Fail at start, not at the first recording, when the database is unreachable or not migrated.
    await db.recording.findFirst({ select: { recordingId: true } }).catch((error: unknown) => {
      log.error({ err: error }, 'database check failed');
      const reason = (error instanceof Error ? error.message : String(error)).trim().split('\n').at(-1);
      throw new Error(`database not ready (run \`make migrate\`?): ${reason}`);
    });
    const nats = await connectBus({ servers: config.NATS_URL, name: 'recording', security: config.nats });
    stops.add('nats', () => nats.drain());

    const peers = internalChannelCredentials(config.internalTls, log);
    stops.add('peer credentials', () => peers.close());
    const service = await startRecordingService({
      log,
      repository: withDatabaseUnavailable(prismaRecordingRepository(db)),
      engine: createRecorderEngine({
        host: config.RECORDING_RTP_HOST,
        idleMs: config.RECORDING_IDLE_MS,
        log: log.child({ module: 'engine' }),
      }),
      store: storage.store,
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
      rtpHost: config.RECORDING_RTP_HOST,
      spoolDir: config.RECORDING_SPOOL_DIR,
      instance: config.RECORDING_INSTANCE,
      ...(config.ADVERTISE_GRPC ? { advertise: config.ADVERTISE_GRPC } : {}),
      storeRetries: {
        attempts: config.STORE_ATTEMPTS,
        retryDelayMs: config.STORE_RETRY_DELAY_MS,
        timeoutMs: config.STORE_TIMEOUT_MS,
      },
      // Half the shutdown budget for the gRPC drain; the rest for storing the files and the facts.
      grpc: {
        host: config.GRPC_HOST,
        port: config.GRPC_PORT,
        drainMs: config.SHUTDOWN_DRAIN_MS / 2,
        tls: internalServerTls(config.internalTls),
        healthPort: config.GRPC_HEALTH_PORT,
      },
      factDrainMs: config.SHUTDOWN_DRAIN_MS / 4,
    });
    stops.add('recording service', () => service.close());
    log.info(
      {
        grpc: service.grpc.address,
        instance: config.RECORDING_INSTANCE,
        store: config.RECORDING_STORE,
        recovered: service.recovered.length,
      },
      'recording ready',
    );
  },
});
