import type { Logger } from '@callctl/logging';
import { startGrpcServer, type RunningGrpcServer, type GrpcListenOptions } from '@callctl/service';
import type { ProviderName, TextLimits } from './domain/synthesis-request.js';
import { Synthesizer } from './app/synthesizer.js';
import { WavCache } from './adapters/cache/wav-cache.js';
import { EspeakProvider, type EspeakOptions } from './adapters/espeak/espeak-provider.js';
import { PollyProvider, type PollyOptions } from './adapters/polly/polly-provider.js';
import { GoogleProvider, type GoogleOptions } from './adapters/google/google-provider.js';
import { ttsService } from './adapters/grpc/tts-service.js';
import { mediaStoreService } from './adapters/grpc/media-store-service.js';

export interface TtsOptions {
  log: Logger;
  /** tls: internal mTLS (internalServerTls). @default plain */
  grpc: GrpcListenOptions;
  cache: { dir: string; maxBytes: number };
  defaultProvider: ProviderName;
  fallbackProvider?: ProviderName | undefined;
  limits: TextLimits;
  /** How long a request without a gRPC deadline may wait. */
  requestTimeoutMs: number;
  espeak: EspeakOptions;
  polly: PollyOptions;
  google: GoogleOptions;
}

export interface RunningTts {
  grpc: RunningGrpcServer;
  cache: WavCache;
  close(): Promise<void>;
}

/** Wires the service by hand (STYLE 13); main.ts, the tests and the benchmark start it through here. */
export async function startTts(options: TtsOptions): Promise<RunningTts> {
  const { log } = options;
  const cache = await WavCache.open({ ...options.cache, log: log.child({ module: 'cache' }) });
  const espeak = new EspeakProvider(options.espeak);
  // A default or fallback espeak must work from the first request: a missing espeak-ng or a default voice
  // it does not have stops the start with a line that names it.
  if (options.defaultProvider === 'espeak' || options.fallbackProvider === 'espeak') {
    await espeak.resolveVoice('', '');
  }
  const synthesizer = new Synthesizer({
    providers: [espeak, new PollyProvider(options.polly), new GoogleProvider(options.google)],
    defaultProvider: options.defaultProvider,
    fallbackProvider: options.fallbackProvider,
    limits: options.limits,
    cache,
    log: log.child({ module: 'synthesizer' }),
  });
  const grpc = await startGrpcServer({
    log,
    ...options.grpc,
    services: [
      ttsService({ synthesizer, requestTimeoutMs: options.requestTimeoutMs, log }),
      mediaStoreService({ cache, log }),
    ],
  });
  return { grpc, cache, close: () => grpc.close() };
}
