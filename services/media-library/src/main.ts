import { runService } from '@callctl/service/run-service';
import { readConfig } from './config.js';

// Composition root, in the one main shape (runService): configuration first (a bad variable exits 78 with
// one line), then telemetry, then the database client and the gRPC server; each registers its stop as soon
// as it exists.
runService({
  name: 'media-library',
  loadConfig: () => readConfig(process.env),
  async start(config, { log, stops }) {
    const { createDb } = await import('@callctl/db');
    const { startMediaLibrary } = await import('./media-library.js');
    const { internalServerTls } = await import('@callctl/service');

    const db = createDb({ databaseUrl: config.DATABASE_URL, maxConnections: config.DATABASE_POOL_SIZE });
    stops.add('database', () => db.$disconnect());
    // Fail at start, not at the first upload, when the database is unreachable or not migrated.
    await db.mediaFile.findFirst({ select: { mediaId: true } }).catch((error: unknown) => {
      log.error({ err: error }, 'database check failed');
      // Prisma's message quotes the calling code over several lines; its last line says what is wrong.
      const reason = (error instanceof Error ? error.message : String(error)).trim().split('\n').at(-1);
      throw new Error(`database not ready (run \`make migrate\`?): ${reason}`);
    });

    const library = await startMediaLibrary({
      log,
      db,
      grpc: {
        host: config.GRPC_HOST,
        port: config.GRPC_PORT,
        drainMs: config.SHUTDOWN_DRAIN_MS / 2,
        tls: internalServerTls(config.internalTls),
        healthPort: config.GRPC_HEALTH_PORT,
      },
      upload: { maxBytes: config.MEDIA_UPLOAD_MAX_BYTES, timeoutMs: config.MEDIA_UPLOAD_TIMEOUT_MS },
      tools: {
        ffmpegPath: config.FFMPEG_PATH,
        ffprobePath: config.FFPROBE_PATH,
        workDir: config.MEDIA_WORK_DIR,
        timeoutMs: config.MEDIA_CONVERT_TIMEOUT_MS,
        concurrency: config.MEDIA_CONVERT_CONCURRENCY,
        maxOutputBytes: config.MEDIA_STORED_MAX_BYTES,
      },
    });
    stops.add('gRPC server', () => library.close());
    log.info(
      { grpc: library.grpc.address, uploadMaxBytes: config.MEDIA_UPLOAD_MAX_BYTES },
      'media-library ready',
    );
  },
});
