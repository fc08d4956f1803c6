import { advertiseInstance, ensureFactsStream, watchInstances, type NatsConnection } from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import {
  ForkClient,
  startGrpcServer,
  type ForkClientOptions,
  type RunningGrpcServer,
  type GrpcListenOptions,
} from '@callctl/service';

import { recordingFactPublisher } from './adapters/nats/recording-fact-publisher.js';
import { recorderService } from './adapters/grpc/recorder-service.js';
import { recordingsService } from './adapters/grpc/recordings-service.js';
import { spoolFiles } from './adapters/spool/spool-files.js';
import { RecordingFactReporting } from './app/fact-reporting.js';
import { RecordingCatalog } from './app/recording-catalog.js';
import { Recordings } from './app/recordings.js';
import { recoverUnfinished, type RecoveryOutcome } from './app/restart-recovery.js';
import type { RecorderEngine, RecordingRepository, RecordingStore } from './app/ports.js';

export interface RecordingServiceOptions {
  log: Logger;
  /** The metadata (the caller owns its database client). */
  repository: RecordingRepository;
  /** The recorder engine; closed with the service. */
  engine: RecorderEngine;
  store: RecordingStore;
  /** The caller owns the connection (and drains it after close()). */
  nats: NatsConnection;
  facts: { giveUpAfterMs: number; attemptTimeoutMs: number };
  mediaWorker: ForkClientOptions;
  /** host:port announced to peers (ADVERTISE_GRPC). @default 127.0.0.1 and the bound gRPC port */
  advertise?: string;
  /** Where forks are sent (RECORDING_RTP_HOST); the engine binds its sockets there. */
  rtpHost: string;
  spoolDir: string;
  instance: string;
  storeRetries: { attempts: number; retryDelayMs: number; timeoutMs: number };
  /** tls: internal mTLS (internalServerTls). @default plain */
  grpc: GrpcListenOptions;
  /** Facts still being retried at close are given up after this long. @default 5000 */
  factDrainMs?: number;
}

export interface RunningRecordingService {
  grpc: RunningGrpcServer;
  /** What restart recovery did with the unfinished recordings of this instance. */
  recovered: RecoveryOutcome[];
  close(): Promise<void>;
}

/**
 * Wires the service's parts by hand (STYLE 13); main.ts and the tests both start it through here. The
 * unfinished recordings of this instance are recovered before the gRPC port opens, so that no command
 * meets a recording being recovered.
 */
export async function startRecordingService(
  options: RecordingServiceOptions,
): Promise<RunningRecordingService> {
  const { log } = options;
  // Facts are published whether or not the orchestrator made the stream yet (the same settings as its).
  await ensureFactsStream(options.nats);
  const workers = await watchInstances({ nc: options.nats, kind: 'media-worker' });
  const forks = new ForkClient({ ...options.mediaWorker, instances: workers });
  const spool = spoolFiles(options.spoolDir);
  const facts = new RecordingFactReporting(
    recordingFactPublisher(options.nats, { ...options.facts, log: log.child({ module: 'facts' }) }),
    log.child({ module: 'facts' }),
  );
  const recordings = new Recordings({
    repository: options.repository,
    engine: options.engine,
    forks,
    store: options.store,
    spool,
    facts,
    instance: options.instance,
    sinkAddress: options.rtpHost,
    storeAttempts: options.storeRetries.attempts,
    storeRetryDelayMs: options.storeRetries.retryDelayMs,
    storeTimeoutMs: options.storeRetries.timeoutMs,
    now: () => new Date(),
    log: log.child({ module: 'recordings' }),
  });
  const catalog = new RecordingCatalog({
    repository: options.repository,
    store: options.store,
    spool,
    log: log.child({ module: 'catalog' }),
  });
  const shutDown = async () => {
    await recordings.close();
    await facts.close(options.factDrainMs ?? 5000);
    await options.engine.close();
    forks.close();
    workers.close();
  };
  let grpc: RunningGrpcServer;
  let recovered: RecoveryOutcome[];
  try {
    recovered = await recoverUnfinished({
      recordings,
      repository: options.repository,
      forks,
      spool,
      instance: options.instance,
      now: () => new Date(),
      log: log.child({ module: 'restart-recovery' }),
    });
    grpc = await startGrpcServer({
      log,
      ...options.grpc,
      services: [recorderService({ recordings, log }), recordingsService({ catalog, log })],
    });
  } catch (error) {
    await shutDown();
    throw error;
  }
  // Announced once it serves (its own recordings recovered): orchestrators start recordings here.
  const advertisement = await advertiseInstance({
    nc: options.nats,
    kind: 'recording',
    name: options.instance,
    address: options.advertise ?? `127.0.0.1:${grpc.port}`,
  });
  return {
    grpc,
    recovered,
    close: async () => {
      await advertisement.close();
      await grpc.close();
      await shutDown();
    },
  };
}
