import { randomUUID } from 'node:crypto';
import type { Logger } from '@callctl/logging';
import { advertiseInstance, ensureFactsStream, watchInstances, type NatsConnection } from '@callctl/bus';
import { credentials as channelCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { startGrpcServer, type RunningGrpcServer, type GrpcListenOptions } from '@callctl/service';
import { NgClient } from './adapters/rtpengine/ng-client.js';
import { readEngineStatus } from './adapters/rtpengine/engine-status.js';
import { rtpengineRelay } from './adapters/rtpengine/session-commands.js';
import { DtmfLogListener } from './adapters/rtpengine/dtmf-log.js';
import { mediaWorkerService } from './adapters/grpc/media-worker-service.js';
import { mixerHealthWatch } from './adapters/grpc/mixer-health-watch.js';
import { UrlCache, type UrlCacheOptions } from './adapters/media-source/url-cache.js';
import { mediaStoreFetcher } from './adapters/media-source/media-store-fetch.js';
import { withTones } from './adapters/media-source/tone-source.js';
import { LocalSink } from './adapters/local-media/local-sink.js';
import { mediaFactPublisher } from './adapters/nats/media-fact-publisher.js';
import { openNatsWorkerState } from './adapters/nats/worker-state-store.js';
import { MediaEvents } from './app/media-events.js';
import { Playback } from './app/operations/playback.js';
import { Echo } from './app/operations/echo.js';
import { Forks } from './app/operations/forks.js';
import { DtmfDetection } from './app/operations/dtmf-detection.js';
import { DtmfSending } from './app/operations/dtmf-sending.js';
import { MixerRoutes } from './app/operations/mixer-routes.js';
import { MediaSessions } from './app/media-sessions.js';
import { SessionCalls } from './app/session-calls.js';
import { FactReporting } from './app/fact-reporting.js';
import { mediaFactIdOf } from './app/fact-ids.js';
import { recoverAfterRestart } from './app/restart-recovery.js';
import { SessionWatch } from './app/session-watch.js';

/** @default 10000 (SESSION_CHECK_INTERVAL_MS) */
export const DEFAULT_SESSION_CHECK_INTERVAL_MS = 10_000;

export interface MediaWorkerOptions {
  log: Logger;
  /** tls: internal mTLS (internalServerTls). @default plain */
  grpc: GrpcListenOptions;
  rtpengine: { host: string; port: number; timeoutMs: number };
  dtmfLogListen: { host: string; port: number };
  localMediaHost: string;
  /** Downloads and MediaStore fetches (the stores are given by mediaStores). */
  urlCache: Omit<UrlCacheOptions, 'stores'>;
  /** MediaStore gRPC addresses by source scheme: `tts:<id>` and `library:<id>` are fetched from them. */
  mediaStores?: { tts?: string; library?: string };
  /** What the MediaStore clients dial with (internalChannelCredentials). @default plain */
  peerCredentials?: ChannelCredentials;
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
  /**
   * How often the sessions the worker knows are checked against rtpengine (a vanished one is reported as
   * MediaSessionLost); 0 turns the check off. @default DEFAULT_SESSION_CHECK_INTERVAL_MS
   */
  sessionCheckIntervalMs?: number;
  /** host:port announced to peers (ADVERTISE_GRPC). @default 127.0.0.1 and the bound gRPC port */
  advertise?: string;
  /** rtpengine's advertised address and port range, announced for GetMediaResources. @default none */
  media?: { address: string; portMin: number; portMax: number };
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
  const relay = rtpengineRelay(ng);
  const events = new MediaEvents(() => Date.now());
  const calls = new SessionCalls({ state: state.sessionCalls, log: log.child({ module: 'sessions' }) });
  const factReporting = new FactReporting({
    events,
    publish: mediaFactPublisher(options.nats, { ...options.facts, log: log.child({ module: 'facts' }) }),
    factIdOf: (event) => mediaFactIdOf(event, randomUUID),
    callOf: (sessionId) => calls.callOf(sessionId),
    log: log.child({ module: 'facts' }),
  });
  factReporting.start();
  // Each tts instance keeps the speech it made: a `tts:` id is asked of every live one (media-store-fetch.ts).
  const ttsInstances = await watchInstances({ nc: options.nats, kind: 'tts' });
  const stores = Object.entries(options.mediaStores ?? {})
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(
      ([scheme, address]) =>
        [
          scheme,
          mediaStoreFetcher(
            scheme,
            address,
            options.peerCredentials,
            scheme === 'tts' ? ttsInstances : undefined,
          ),
        ] as const,
    );
  const playback = new Playback({
    relay,
    events,
    log: log.child({ module: 'playback' }),
    sources: withTones(
      new UrlCache({
        ...options.urlCache,
        stores: Object.fromEntries(stores.map(([scheme, store]) => [scheme, store.fetch])),
      }),
    ),
    newId: randomUUID,
    now: () => Date.now(),
    state: state.playbacks,
    factsReported: (sessionId) => factReporting.reported(sessionId),
  });
  const localSink = new LocalSink(options.localMediaHost);
  const sink = await localSink.start();
  const echo = new Echo({ relay, sink, state: state.localParties, log: log.child({ module: 'echo' }) });
  const dtmf = new DtmfDetection({
    relay,
    source: new DtmfLogListener({ ...options.dtmfLogListen, log: log.child({ module: 'dtmf' }) }),
    events,
    state: state.inbandDtmf,
    log: log.child({ module: 'dtmf' }),
  });
  const dtmfLogAddress = await dtmf.listen();
  const dtmfSending = new DtmfSending({
    relay,
    sink: localSink,
    state: state.dtmfInjection,
    log: log.child({ module: 'dtmf-sending' }),
  });
  // Forks keep nothing of their own (rtpengine holds them): no records, nothing to recover or forget.
  const forks = new Forks({ relay, log: log.child({ module: 'forks' }) });
  const routes = new MixerRoutes({
    relay,
    sink,
    relayedParty: (sessionId, tag) => {
      const party = dtmfSending.relayedParty(sessionId, tag);
      return party && { offer: party.offer, answer: party.answer };
    },
    localParty: (sessionId, tag) => echo.localParty(sessionId, tag),
    renewDtmf: (sessionId, tag) => dtmf.renew(sessionId, tag),
    // The mixers are internal peers: dialled like the media stores.
    watchMixer: mixerHealthWatch(options.peerCredentials ?? channelCredentials.createInsecure()),
    mixerLost: (route) => factReporting.reportMixerLost(route),
    state: state.mixerRoutes,
    log: log.child({ module: 'mixer-routes' }),
  });
  const watch = new SessionWatch({
    relay,
    // The fact takes the session's call before the session's records (its call among them) go.
    onLost: (lost) => {
      factReporting.reportLost(lost);
      sessions.vanished(lost.sessionId);
    },
    log: log.child({ module: 'session-watch' }),
  });
  const sessions = new MediaSessions({
    watch,
    relay,
    calls,
    playback,
    echo,
    dtmf,
    dtmfSending,
    routes,
    sink,
    log: log.child({ module: 'sessions' }),
  });
  await recoverAfterRestart({
    relay,
    watch,
    calls,
    playback,
    echo,
    dtmf,
    dtmfSending,
    routes,
    log: log.child({ module: 'recovery' }),
  });
  const grpc = await startGrpcServer({
    log,
    ...options.grpc,
    services: [
      mediaWorkerService({
        engineStatus: () => readEngineStatus(ng, () => performance.now()),
        sessions,
        playback,
        forks,
        routes,
        events,
        factsReported: (callId) => factReporting.reportedForCall(callId),
        log,
      }),
    ],
  });
  // Announced once it serves: sip-edge places new sessions here, and peers find the sessions it holds.
  const advertisement = await advertiseInstance({
    nc: options.nats,
    kind: 'media-worker',
    name: options.state.instance,
    address: options.advertise ?? `127.0.0.1:${grpc.port}`,
    ...(options.media ? { resources: () => ({ media: [options.media!] }) } : {}),
  });
  const checkIntervalMs = options.sessionCheckIntervalMs ?? DEFAULT_SESSION_CHECK_INTERVAL_MS;
  const stopWatching = checkIntervalMs > 0 ? watch.every(checkIntervalMs) : async () => undefined;
  return {
    grpc,
    ng,
    dtmfLogAddress,
    async close() {
      await advertisement.close();
      await grpc.close();
      await stopWatching();
      routes.close();
      playback.close();
      await dtmf.close();
      await factReporting.close(options.facts.drainMs);
      await localSink.stop();
      ng.close();
      for (const [, store] of stores) store.close();
      ttsInstances.close();
    },
  };
}
