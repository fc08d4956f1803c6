import { randomBytes } from 'node:crypto';
import type { Logger } from '@callctl/logging';
import type { PrismaClient } from '@callctl/db';
import { startGrpcServer, type RunningGrpcServer, type GrpcListenOptions } from '@callctl/service';
import { AudioTools, type AudioToolsOptions } from './adapters/ffmpeg/audio-tools.js';
import { prismaMediaStore } from './adapters/db/prisma-media-store.js';
import { mediaLibraryService } from './adapters/grpc/media-library-service.js';
import { mediaStoreService } from './adapters/grpc/media-store-service.js';
import { MediaLibrary } from './app/media-library.js';
import { mediaIdFrom } from './domain/media-id.js';

export interface MediaLibraryOptions {
  log: Logger;
  /** The caller owns the client (and disconnects it). */
  db: PrismaClient;
  /** tls: internal mTLS (internalServerTls). @default plain */
  grpc: GrpcListenOptions;
  upload: { maxBytes: number; timeoutMs: number };
  tools: AudioToolsOptions;
}

export interface RunningMediaLibrary {
  grpc: RunningGrpcServer;
  close(): Promise<void>;
}

/** Wires the library's parts by hand (STYLE 13); main.ts and the tests both start it through here. */
export async function startMediaLibrary(options: MediaLibraryOptions): Promise<RunningMediaLibrary> {
  const { log } = options;
  const library = new MediaLibrary({
    store: prismaMediaStore(options.db),
    converter: new AudioTools(options.tools),
    newMediaId: () => mediaIdFrom(randomBytes(16)),
    now: () => new Date(),
    log: log.child({ module: 'library' }),
  });
  const grpc = await startGrpcServer({
    log,
    ...options.grpc,
    services: [
      mediaLibraryService({
        library,
        uploadMaxBytes: options.upload.maxBytes,
        uploadTimeoutMs: options.upload.timeoutMs,
        log,
      }),
      mediaStoreService({ library, log }),
    ],
  });
  return { grpc, close: () => grpc.close() };
}
