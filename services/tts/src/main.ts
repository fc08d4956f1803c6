import { runService } from '@callctl/service/run-service';
import { loggableConfig, readConfig } from './config.js';

// Composition root, in the one main shape (runService): configuration first (a bad variable exits 78 with
// one line), then telemetry, then the service wired by hand.
runService({
  name: 'tts',
  loadConfig: () => readConfig(process.env),
  async start(config, { log, stops }) {
    const { startTts } = await import('./tts.js');
    const { internalServerTls } = await import('@callctl/service');
    const tts = await startTts({
      log,
      grpc: {
        host: config.GRPC_HOST,
        port: config.GRPC_PORT,
        tls: internalServerTls(config.internalTls),
        healthPort: config.GRPC_HEALTH_PORT,
      },
      cache: { dir: config.TTS_CACHE_DIR, maxBytes: config.TTS_CACHE_MAX_BYTES },
      defaultProvider: config.TTS_DEFAULT_PROVIDER,
      fallbackProvider: config.TTS_FALLBACK_PROVIDER,
      limits: { maxTextChars: config.TTS_MAX_TEXT_CHARS, maxSsmlChars: config.TTS_MAX_SSML_CHARS },
      requestTimeoutMs: config.TTS_REQUEST_TIMEOUT_MS,
      espeak: {
        defaultVoice: config.ESPEAK_DEFAULT_VOICE,
        timeoutMs: config.ESPEAK_TIMEOUT_MS,
        maxConcurrency: config.ESPEAK_MAX_CONCURRENCY,
      },
      polly: {
        region: config.POLLY_REGION,
        endpoint: config.POLLY_ENDPOINT,
        accessKeyId: config.POLLY_ACCESS_KEY_ID,
        secretAccessKey: config.POLLY_SECRET_ACCESS_KEY,
        engine: config.POLLY_ENGINE,
        defaultVoice: config.POLLY_DEFAULT_VOICE,
        timeoutMs: config.POLLY_TIMEOUT_MS,
        maxConcurrency: config.POLLY_MAX_CONCURRENCY,
      },
      google: {
        endpoint: config.GOOGLE_TTS_ENDPOINT,
        apiKey: config.GOOGLE_API_KEY,
        accessToken: config.GOOGLE_ACCESS_TOKEN,
        keyFilename: config.GOOGLE_APPLICATION_CREDENTIALS,
        defaultVoice: config.GOOGLE_TTS_DEFAULT_VOICE,
        timeoutMs: config.GOOGLE_TTS_TIMEOUT_MS,
        maxConcurrency: config.GOOGLE_TTS_MAX_CONCURRENCY,
      },
    });
    stops.add('tts', () => tts.close());
    if (config.NATS_URL) {
      const { advertiseInstance, connectBus } = await import('@callctl/bus');
      const nats = await connectBus({ servers: config.NATS_URL, name: 'tts', security: config.nats });
      stops.add('nats', () => nats.drain());
      const advertisement = await advertiseInstance({
        nc: nats,
        kind: 'tts',
        name: config.TTS_INSTANCE,
        address: config.ADVERTISE_GRPC ?? `127.0.0.1:${tts.grpc.port}`,
      });
      stops.add('announcement', () => advertisement.close());
    }
    log.info({ grpc: tts.grpc.address, config: loggableConfig(config) }, 'tts ready');
  },
});
