import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { createLogger } from '@callctl/logging';
import { mediaStore, tts } from '@callctl/proto';
import { startTts, type RunningTts, type TtsOptions } from '../../src/tts.js';

export type TtsOverrides = Partial<Omit<TtsOptions, 'log' | 'grpc' | 'cache'>> & {
  cache?: Partial<TtsOptions['cache']>;
};

/** Options of a tts service on a free loopback port; only espeak is configured unless overridden. */
export function testOptions(cacheDir: string, overrides: TtsOverrides = {}): TtsOptions {
  return {
    log: createLogger({
      service: 'tts-test',
      level: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent',
    }),
    grpc: { host: '127.0.0.1', port: 0 },
    defaultProvider: 'espeak',
    limits: { maxTextChars: 3000, maxSsmlChars: 6000 },
    requestTimeoutMs: 15_000,
    espeak: { defaultVoice: 'en-us', timeoutMs: 5000, maxConcurrency: 2 },
    polly: {
      region: 'us-east-1',
      engine: 'standard',
      defaultVoice: 'Joanna',
      timeoutMs: 5000,
      maxConcurrency: 4,
    },
    google: { defaultVoice: 'en-US-Standard-C', timeoutMs: 5000, maxConcurrency: 4 },
    ...overrides,
    cache: { dir: cacheDir, maxBytes: 100 * 1024 * 1024, ...overrides.cache },
  };
}

export class TtsFixture {
  readonly client: tts.TtsClient;
  readonly store: mediaStore.MediaStoreClient;

  private constructor(
    readonly service: RunningTts,
    readonly cacheDir: string,
  ) {
    const address = `127.0.0.1:${service.grpc.port}`;
    this.client = new tts.TtsClient(address, credentials.createInsecure());
    this.store = new mediaStore.MediaStoreClient(address, credentials.createInsecure());
  }

  static async start(overrides: TtsOverrides = {}, cacheDir?: string): Promise<TtsFixture> {
    const dir = cacheDir ?? mkdtempSync(join(tmpdir(), 'tts-cache-'));
    return new TtsFixture(await startTts(testOptions(dir, overrides)), dir);
  }

  synthesize(request: Partial<tts.SynthesizeRequest>, deadlineMs = 15_000): Promise<tts.SynthesizeResponse> {
    const full: tts.SynthesizeRequest = { ...tts.SynthesizeRequest.fromPartial({}), ...request };
    return new Promise((resolve, reject) =>
      this.client.synthesize(
        full,
        new Metadata(),
        Number.isFinite(deadlineMs) ? { deadline: Date.now() + deadlineMs } : {},
        (error, response) => (error ? reject(error) : resolve(response)),
      ),
    );
  }

  /** The gRPC error of a Synthesize that must fail. */
  async synthesizeError(request: Partial<tts.SynthesizeRequest>): Promise<ServiceError> {
    try {
      await this.synthesize(request);
    } catch (error) {
      return error as ServiceError;
    }
    throw new Error('Synthesize succeeded');
  }

  /** Every message of FetchMedia. */
  fetchMedia(mediaId: string): Promise<mediaStore.FetchMediaResponse[]> {
    return new Promise((resolve, reject) => {
      const messages: mediaStore.FetchMediaResponse[] = [];
      const stream = this.store.fetchMedia({ mediaId }, new Metadata(), { deadline: Date.now() + 10_000 });
      stream.on('data', (m: mediaStore.FetchMediaResponse) => messages.push(m));
      stream.on('error', reject);
      stream.on('end', () => resolve(messages));
    });
  }

  async fetchBytes(mediaId: string): Promise<Buffer> {
    return Buffer.concat((await this.fetchMedia(mediaId)).map((m) => m.chunk));
  }

  /** Stops the service; the cache directory stays unless `removeCache`. */
  async stop(removeCache = false): Promise<void> {
    this.client.close();
    this.store.close();
    await this.service.close();
    if (removeCache) rmSync(this.cacheDir, { recursive: true, force: true });
  }
}
