import { randomUUID } from 'node:crypto';
import type { Logger } from '@callctl/logging';
import { ensureFactsStream, type NatsConnection } from '@callctl/bus';
import { startGrpcServer, type RunningGrpcServer } from '@callctl/service';
import { NgClient } from './adapters/rtpengine/ng-client.js';
import { readEngineStatus } from './adapters/rtpengine/engine-status.js';
import { mediaWorkerService } from './adapters/grpc/media-worker-service.js';
import { MediaEvents } from './app/media-events.js';
import { Playback } from './app/playback.js';
import { UrlCache, type UrlCacheOptions } from './app/url-cache.js';
import { DtmfDetection } from './app/dtmf-detection.js';
import { LocalSink } from './app/local-sink.js';
import { MediaSessions } from './app/media-sessions.js';
import { FactReporting } from './app/fact-reporting.js';
import { mediaFactPublisher } from './adapters/nats/media-fact-publisher.js';
import { openNatsWorkerState } from './adapters/nats/worker-state-store.js';
import { mediaFactIdOf } from './app/fact-ids.js';
import { recoverAfterRestart } from './app/restart-recovery.js';

export interface MediaWorkerOptions {
  log: Logger;
  grpc: { host: string; port: number };
  rtpengine: { host: string; port: number; timeoutMs: number };
  dtmfLogListen: { host: string; port: number };
  localMediaHost: string;
  urlCache: UrlCacheOptions;
  /** Where media facts go (CALLCTL_FACTS); the caller owns the connection. */
  nats: NatsConnection;
  facts: {
    /** Give up publishing one fact after this long. */
    giveUpAfterMs: number;
    /** Deadline of one publish attempt (waiting for the ack). */
    attemptTimeoutMs: number;
    /** At close, how long facts still being retried may take. */
    drainMs: number;
  };
  /** What the worker owes across a restart, on JetStream (MEDIA_WORKER_STATE). */
  state: {
    /** This worker's name: a restart with the same name takes over its sessions. */
    instance: string;
    /** Deadline of one state write or read. */
    timeoutMs: number;
  };
}

export interface RunningMediaWorker {
  grpc: RunningGrpcServer;
  ng: NgClient;
  dtmfLogAddress: { address: string; port: number };
  close(): Promise<void>;
}

/** Wires the worker's parts by hand (STYLE 13); main.ts and the e2e tests both start it through here. */
export async function startMediaWorker(options: MediaWorkerOptions): Promise<RunningMediaWorker> {
  const { log } = options;
  await ensureFactsStream(options.nats);
  const state = await openNatsWorkerState({ nc: options.nats, ...options.state });
  const ng = new NgClient({ ...options.rtpengine, log: log.child({ module: 'rtpengine' }) });
  const events = new MediaEvents(() => Date.now());
  const factReporting = new FactReporting({
    events,
    publish: mediaFactPublisher(options.nats, { ...options.facts, log: log.child({ module: 'facts' }) }),
    factIdOf: (event) => mediaFactIdOf(event, randomUUID),
    log: log.child({ module: 'facts' }),
  });
  factReporting.start();
  const urlCache = new UrlCache(options.urlCache);
  const playback = new Playback({
    ng,
    events,
    log: log.child({ module: 'playback' }),
    resolveSource: (source) => urlCache.resolve(source),
    newId: randomUUID,
    now: () => Date.now(),
    state: state.playbacks,
    factsReported: (sessionId) => factReporting.reported(sessionId),
  });
  const sink = new LocalSink(options.localMediaHost);
  const localEndpoint = await sink.start();
  const dtmf = new DtmfDetection({
    ...options.dtmfLogListen,
    events,
    log: log.child({ module: 'dtmf' }),
  });
  const dtmfLogAddress = await dtmf.start();
  const sessions = new MediaSessions({
    ng,
    playback,
    log: log.child({ module: 'sessions' }),
    localEndpoint,
    state,
  });
  await recoverAfterRestart({ ng, state, sessions, playback, log: log.child({ module: 'recovery' }) });
  const grpc = await startGrpcServer({
    log,
    ...options.grpc,
    services: [
      mediaWorkerService({
        engineStatus: () => readEngineStatus(ng, () => performance.now()),
        sessions,
        playback,
        events,
        log,
      }),
    ],
  });
  return {
    grpc,
    ng,
    dtmfLogAddress,
    async close() {
      await grpc.close();
      playback.close();
      await dtmf.stop();
      await factReporting.close(options.facts.drainMs);
      await sink.stop();
      ng.close();
    },
  };
}
