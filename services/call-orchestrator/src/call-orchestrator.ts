// Wires the orchestrator's parts by hand (STYLE 13); main.ts and the tests both start it through here.
import pg from 'pg';
import { connectBus, watchInstances, type BusSecurity, type NatsConnection } from '@callctl/bus';
import {
  catchUpProjection,
  createEventStore,
  startRelay,
  subscribeAll,
  type EventStore,
} from '@callctl/eventstore';
import type { Logger } from '@callctl/logging';
import {
  apiAuth,
  internalChannelCredentials,
  noAuthFailures,
  startGrpcServer,
  watchApiCredentials,
  type AuthFailure,
  type InternalTls,
  type RunningGrpcServer,
  type GrpcListenOptions,
  KeyedQueue,
} from '@callctl/service';
import { KNOWN_SCOPES, scopeOf } from './adapters/grpc/method-scopes.js';
import { CallRepository, DEFAULT_CACHED_CALLS } from './app/call-repository.js';
import { CommandEffects } from './app/command-effects.js';
import { DeadlineManager } from './app/process-managers/deadline-manager.js';
import { mayTakeDigits } from './app/fact-commands.js';
import { CommandHandler } from './app/handle-command.js';
import { recordFact } from './app/process-managers/record-fact.js';
import { LegReconciler } from './app/process-managers/leg-reconciler.js';
import type { MediaLostAction } from './domain/capabilities/media-loss/media-loss.decide.js';
import type { Clock, IdSource } from './app/ports.js';
import {
  activeCallsProjection,
  allActiveCallIds,
  listActiveCalls,
} from './adapters/eventlog/active-calls.js';
import { keepRunning } from './adapters/eventlog/keep-running.js';
import { runProjectionEvery } from './adapters/eventlog/periodic-projection.js';
import { CALL_CONTROL_SERVICE, callControlService } from './adapters/grpc/call-control-service.js';
import { pingDatabase, watchDependencies } from './adapters/dependency-health.js';
import { EventLogHealth } from './app/event-log-health.js';
import { EventWatchers } from './adapters/grpc/watch-events.js';
import { systemIds } from './adapters/ids.js';
import { mediaWorkerClient } from './adapters/media/media-worker-client.js';
import {
  startFactsConsumer,
  type FactsConsumer,
  type FactsConsumerOptions,
} from './adapters/nats/facts-consumer.js';
import { pgFactDeadLetters } from './adapters/dead-letters/fact-dead-letters.js';
import { sipEdgeClient } from './adapters/sip-edge/sip-edge-client.js';
import { ttsClient } from './adapters/tts/tts-client.js';
import { mediaLibraryProxy } from './adapters/grpc/media-library-proxy.js';
import { mediaLibraryClient } from './adapters/media-library/media-library-client.js';
import { recorderClient } from './adapters/recording/recorder-client.js';
import { mixerClient } from './adapters/mixer/mixer-client.js';
import { streamGatewayClient } from './adapters/stream-gateway/stream-gateway-client.js';
import { recoverStreams } from './app/process-managers/stream-recovery.js';
import { redriveMonitors } from './app/process-managers/monitor-redrive.js';
import { TransferDriver } from './app/process-managers/transfer-driver.js';
import { DeviceCallRouter } from './app/process-managers/device-call-router.js';
import { SiprecDriver } from './app/process-managers/siprec-driver.js';
import { SiprecWire } from './app/siprec-wire.js';
import type { ReferPolicy } from './domain/call.commands.js';
import { callEvents } from '@callctl/proto';
import { recordingsProxy } from './adapters/grpc/recordings-proxy.js';

export interface CallOrchestratorOptions {
  log: Logger;
  /** The public port; tls: GRPC_TLS_* (and client certificates with clientCaFile). @default plain */
  grpc: GrpcListenOptions;
  /** API_AUTH=token: the credentials file (API_TOKENS_FILE); absent, calls need no credentials. */
  apiTokensFile?: string;
  /** How often that file is read again (a rotated Secret). @default DEFAULT_RELOAD_INTERVAL_MS */
  apiTokensReloadMs?: number;
  databaseUrl: string;
  natsUrl: string;
  /** NATS credentials and TLS (NATS_*). @default anonymous, plain */
  natsSecurity?: BusSecurity;
  /** mTLS to the internal peers (INTERNAL_TLS_*). @default plain */
  internalTls?: InternalTls;
  sipEdge: { address: string; timeoutMs: number };
  mediaWorker: { address: string; timeoutMs: number; mediaFilesDir: string };
  /**
   * SIPREC: how long one SRS may take to answer the INVITE (SIPREC_INVITE_TIMEOUT_MS), and how long a start
   * left without progress waits before recovery fails it. @default 8000, that + 10000
   */
  siprec?: { inviteTimeoutMs: number; stalledAfterMs?: number };
  /** The tts service (Say, spoken prompts). @default the config's (TTS_GRPC) */
  tts?: { address: string; timeoutMs: number };
  /** The media library (library ids; the public MediaLibrary is forwarded to it). @default MEDIA_LIBRARY_GRPC's */
  mediaLibrary?: { address: string; timeoutMs: number };
  /**
   * The recording service: its Recorder (recording commands) and the public Recordings, forwarded.
   * @default RECORDING_GRPC's (127.0.0.1:50056)
   */
  recording?: { address: string; timeoutMs: number };
  /** The mixer (monitoring). @default MIXER_GRPC's (127.0.0.1:50070) */
  mixer?: { address: string; timeoutMs: number };
  /** The stream gateway (media streams). @default STREAM_GATEWAY_GRPC's (127.0.0.1:50058) */
  streamGateway?: { address: string; timeoutMs: number };
  /** Max duration of calls whose request set none (ms, 0 = no limit). @default 0 */
  defaultMaxCallDurationMs?: number;
  /** Run the outbox relay to CALL_EVENTS (one instance publishes; the others stand by). @default true */
  relay?: boolean;
  /** Durable name of the facts consumer. @default 'call-orchestrator' */
  factsConsumerName?: string;
  /** The facts consumer's ack wait and ordering bounds (facts-consumer.ts). @default its defaults */
  facts?: Pick<
    FactsConsumerOptions,
    'ackWaitMs' | 'holdMs' | 'crossSourceGraceMs' | 'lateAfterMs' | 'reorderWindowMs' | 'mediaFlushTimeoutMs'
  >;
  /** Folded calls kept in memory. @default 10000 */
  cachedCalls?: number;
  /** @default 10 */
  databasePoolSize?: number;
  /** How often legs are compared with those sip-edge holds (leg-reconciler.ts). @default 30000 */
  legReconcileIntervalMs?: number;
  /** What a vanished media session does to its legs (media-loss capability). @default 'hangup' */
  mediaLostAction?: MediaLostAction;
  /** What a phone's REFER does (REFER_POLICY and companions). @default perform at once */
  referPolicy?: ReferPolicy;
  /**
   * DEVICE_CALL_ROUTING: `platform` dials a device's call to where the dial plan routes it (the device-call
   * process manager); `app` leaves it to the application, as any inbound call. @default 'platform'
   */
  deviceCallRouting?: 'platform' | 'app';
  /** How often every active call's deadlines are re-armed from the log (other instances'). @default 30000 */
  deadlineResyncMs?: number;
  /** How often the active-calls read model (ListCalls) catches up with the log. @default 250 */
  activeCallsPeriodMs?: number;
  /** How often PostgreSQL and NATS are probed for the health status. @default 1000 */
  healthProbeIntervalMs?: number;
  /** @default Date.now */
  clock?: Clock;
}

/**
 * How long an acting command waits for the pre-flight ping of a suspect event log (app/event-log-health.ts).
 * Generous: on a saturated machine a trivial query can take hundreds of ms, and a slow log is not a gone
 * one (refusing then turned load into failed calls).
 */
const EVENT_LOG_PING_TIMEOUT_MS = 2000;
/** Health probes in a row that must fail before commands treat the log as suspect (one can be a stall). */
const EVENT_LOG_SUSPECT_AFTER_PROBES = 2;

export interface RunningCallOrchestrator {
  grpc: RunningGrpcServer;
  store: EventStore;
  deadlines: DeadlineManager;
  reconciler: LegReconciler;
  /** The app's command handler and call repository (tests drive process managers with them). */
  handler: CommandHandler;
  calls: CallRepository;
  /** Whether commands treat the event log as suspect now (they ping it before acting). */
  logHealth: Pick<EventLogHealth, 'suspect'>;
  /** API calls refused since start, by reason (all zero without API_AUTH=token). */
  authFailures(): Readonly<Record<AuthFailure, number>>;
  close(): Promise<void>;
}

export async function startCallOrchestrator(o: CallOrchestratorOptions): Promise<RunningCallOrchestrator> {
  const { log } = o;
  const clock = o.clock ?? Date.now;
  const ids: IdSource = systemIds(clock);
  const closers: Array<{ name: string; close: () => Promise<void> | void }> = [];
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= closeAll());
  const closeAll = async () => {
    for (const c of closers.reverse()) {
      try {
        await c.close();
        log.debug({ resource: c.name }, 'closed');
      } catch (error) {
        log.warn({ resource: c.name, err: error }, 'close failed');
      }
    }
  };
  try {
    const pool = new pg.Pool({ connectionString: o.databaseUrl, max: o.databasePoolSize ?? 10 });
    pool.on('error', (error) => log.warn({ err: error }, 'idle database connection failed'));
    // pg-pool listens for errors only on idle clients: a connection cut while checked out (PostgreSQL
    // restarting) would emit an unhandled 'error' and crash the process. Its query fails anyway.
    pool.on('connect', (client) =>
      client.on('error', (error) => log.warn({ err: error }, 'database connection failed while in use')),
    );
    closers.push({ name: 'database pool', close: () => pool.end() });
    const store = createEventStore({ pool });

    const nc: NatsConnection = await connectBus({
      servers: o.natsUrl,
      name: 'call-orchestrator',
      ...(o.natsSecurity ? { security: o.natsSecurity } : {}),
    });
    // drain() fails while NATS is unreachable; close() then stops the reconnect attempts.
    closers.push({ name: 'nats', close: () => nc.drain().catch(() => nc.close()) });

    const peerCredentials = internalChannelCredentials(o.internalTls, log);
    closers.push({ name: 'peer credentials', close: () => peerCredentials.close() });
    const { credentials } = peerCredentials;
    // The instances of each peer that announce themselves: commands go to the one that owns the call,
    // media session or recording; the configured addresses serve while none is alive (one instance).
    const peers = {
      sipEdge: await watchInstances({ nc, kind: 'sip-edge' }),
      media: await watchInstances({ nc, kind: 'media-worker' }),
      tts: await watchInstances({ nc, kind: 'tts' }),
      recording: await watchInstances({ nc, kind: 'recording' }),
      mixer: await watchInstances({ nc, kind: 'mixer' }),
      streamGateway: await watchInstances({ nc, kind: 'stream-gateway' }),
    };
    closers.push({
      name: 'peer instances',
      close: () => Object.values(peers).forEach((watch) => watch.close()),
    });
    const sipEdge = sipEdgeClient({ ...o.sipEdge, credentials, instances: peers.sipEdge });
    const media = mediaWorkerClient({ ...o.mediaWorker, credentials, instances: peers.media });
    // gRPC clients connect on first use: a deployment without Say or library ids never dials them.
    const tts = ttsClient({
      ...(o.tts ?? { address: '127.0.0.1:50054', timeoutMs: 10_000 }),
      credentials,
      instances: peers.tts,
    });
    const libraryPeer = o.mediaLibrary ?? { address: '127.0.0.1:50055', timeoutMs: 5000 };
    const library = mediaLibraryClient({ ...libraryPeer, credentials });
    const recording = { ...(o.recording ?? { address: '127.0.0.1:50056', timeoutMs: 10_000 }), credentials };
    const recorder = recorderClient({ ...recording, instances: peers.recording });
    const mixer = mixerClient({
      ...(o.mixer ?? { address: '127.0.0.1:50070', timeoutMs: 5000 }),
      credentials,
      instances: peers.mixer,
    });
    const gateway = streamGatewayClient({
      ...(o.streamGateway ?? { address: '127.0.0.1:50058', timeoutMs: 5000 }),
      credentials,
      instances: peers.streamGateway,
    });
    closers.push({
      name: 'peer clients',
      close: () => (
        sipEdge.close(),
        media.close(),
        tts.close(),
        library.close(),
        recorder.close(),
        mixer.close()
      ),
    });
    closers.push({ name: 'stream gateway client', close: () => gateway.close() });

    const logHealth = new EventLogHealth({ ping: () => pingDatabase(pool, EVENT_LOG_PING_TIMEOUT_MS) });
    let probesDown = 0;
    const calls = new CallRepository(store, o.cachedCalls ?? DEFAULT_CACHED_CALLS);
    // Each refers to the other only when a command runs or a timer fires, after both exist.
    const send: CommandHandler['handle'] = (callId, command, context) =>
      handler.handle(callId, command, context);
    // The facts consumer starts after the deadlines are re-armed; a deadline firing before it exists acts at once.
    const started: { facts?: FactsConsumer } = {};
    const deadlines = new DeadlineManager({
      send,
      clock,
      ids,
      log: log.child({ module: 'deadlines' }),
      settleFacts: (callId, timeoutMs) => started.facts?.settle(callId, timeoutMs) ?? Promise.resolve(false),
      sipEdge,
      ...(o.referPolicy ? { referDefaultAccept: o.referPolicy.defaultAccept } : {}),
    });
    const siprecWire = new SiprecWire({
      sipEdge,
      media,
      ...(o.siprec ? { inviteTimeoutMs: o.siprec.inviteTimeoutMs } : {}),
      log: log.child({ module: 'siprec' }),
    });
    const siprec = new SiprecDriver({
      send,
      load: async (callId) => (await calls.load(callId)).state,
      wire: siprecWire,
      ...(o.siprec ? { stalledAfterMs: o.siprec.stalledAfterMs ?? o.siprec.inviteTimeoutMs + 10_000 } : {}),
      clock,
      ids,
      log: log.child({ module: 'siprec' }),
    });
    closers.push({ name: 'siprec driver', close: () => siprec.close() });
    const transfers = new TransferDriver({
      send,
      load: async (callId) => (await calls.load(callId)).state,
      clock,
      ids,
      log: log.child({ module: 'transfers' }),
    });
    closers.push({ name: 'transfer driver', close: () => transfers.close() });
    const deviceCalls =
      (o.deviceCallRouting ?? 'platform') === 'platform'
        ? new DeviceCallRouter({
            send,
            load: async (callId) => (await calls.load(callId)).state,
            clock,
            ids,
            log: log.child({ module: 'device-calls' }),
          })
        : undefined;
    if (deviceCalls) closers.push({ name: 'device-call router', close: () => deviceCalls.close() });
    const effects = new CommandEffects(sipEdge, media, log.child({ module: 'effects' }), recorder, mixer, {
      gateway,
      // A stream no gateway holds any more: recorded as stopped (GATEWAY_LOST), as its own work.
      recordLost: async (callId, streamId, detail) => {
        const id = ids.next();
        await send(
          callId,
          {
            type: 'RecordStreamClosed',
            data: {
              streamId,
              reason: callEvents.StreamStopReason.STREAM_STOP_REASON_GATEWAY_LOST,
              detail,
              framesSent: 0,
              framesDropped: 0,
              reconnects: 0,
            },
            metadata: { now: clock(), newId: id },
          },
          { correlationId: id, causationId: id, startsTrace: true },
        );
      },
    });
    closers.push({ name: 'stream work', close: () => effects.streams?.idle() });
    const handler = new CommandHandler({
      store,
      calls,
      locks: new KeyedQueue(),
      effects,
      ids,
      log: log.child({ module: 'commands' }),
      onDeadlines: (callId, due) => deadlines.arm(callId, due),
      // Only a changed limit moves the timer; following on every decision cost each call a rebuild of its
      // deadlines and a timer re-armed (the first answer's timer is armed from its decision already).
      onRecorded: (callId, call, events) => {
        if (events.some((e) => e.type === 'CallMaxDurationSet')) deadlines.follow(callId, call);
        transfers.onRecorded(callId, call.state, events);
        siprec.onRecorded(callId, call.state, events);
        deviceCalls?.onRecorded(callId, call.state, events);
      },
      logHealth,
    });
    // Before the pool ends: an action still waiting for the log stops retrying (logged as never recorded).
    closers.push({ name: 'command handler', close: () => handler.close() });
    closers.push({ name: 'deadlines', close: () => deadlines.close() });

    // The read model first, so that every call active in the log is known before its deadlines are re-armed.
    await catchUpProjection(activeCallsProjection, { pool, store });
    const projection = keepRunning(
      'active-calls projection',
      () => runProjectionEvery(activeCallsProjection, { pool, store, periodMs: o.activeCallsPeriodMs }),
      log,
    );
    closers.push({ name: 'active-calls projection', close: () => projection.close() });
    // The media of calls with a mixer room (monitors, three-way participants: rooms, forks, routes) is
    // re-driven from the log with the deadlines:
    // after a restart, and now and then for a step that failed (each drive does only what is missing).
    let rearmed = false;
    const rearm = async () => {
      const ids = await allActiveCallIds(pool);
      const armed = await deadlines.rearm(ids, (id) => calls.load(id));
      // The re-arm just loaded them: their cached state is the log's.
      await redriveMonitors(effects.monitors, ids, (id) => calls.cached(id)?.state, !rearmed);
      // A SIPREC start left half-way (no SRS outcome) is failed once it stalls, and what it set up ended.
      if (!rearmed) await siprec.recover(ids, (id) => calls.cached(id)?.state);
      // A transfer left in the middle of its move by a process that died is finished or rolled back.
      if (!rearmed) await transfers.redrive(ids, (id) => calls.cached(id)?.state);
      // A device's call whose next step fell due while no instance took it (dial, refuse the caller, ...).
      await deviceCalls?.redrive(ids, (id) => calls.cached(id)?.state);
      // Streams the log says run that no gateway holds (lost with a gateway, or while this process was down).
      await recoverStreams(effects.streams, ids, (id) => calls.cached(id)?.state, log, !rearmed);
      rearmed = true;
      return armed;
    };
    // Serving does not wait for the first re-arm (10,000 active calls take seconds to load): commands and
    // GetCall read each call from the log anyway, and a deadline that fell due while no instance ran fires
    // as soon as its call is re-armed. A failed first re-arm is retried by the resync below.
    const firstRearm = rearm().then(
      (armed) => log.info({ deadlines: armed }, 'deadlines re-armed from the log'),
      (error: unknown) => log.warn({ err: error }, 'deadline re-arm failed; the resync tries again'),
    );
    // Stops the re-arm between chunks (the deadlines' own closer runs later), so no load outlives the pool.
    closers.push({
      name: 'first deadline re-arm',
      close: async () => {
        deadlines.close();
        await firstRearm;
      },
    });

    const reconciler = new LegReconciler({
      sipEdge,
      activeCallIds: () => allActiveCallIds(pool),
      calls,
      handler,
      clock,
      ids,
      log: log.child({ module: 'reconciler' }),
    });
    closers.push({ name: 'leg reconciler', close: reconciler.every(o.legReconcileIntervalMs ?? 30_000) });
    // With several instances, each re-arms every active call's deadlines now and then: one armed by an
    // instance that died still fires (twice is harmless: the second firing decides nothing).
    const resync = setInterval(
      () => void rearm().catch((error: unknown) => log.warn({ err: error }, 'deadline re-arm failed')),
      o.deadlineResyncMs ?? 30_000,
    );
    resync.unref();
    closers.push({ name: 'deadline resync', close: () => clearInterval(resync) });

    const facts = await startFactsConsumer({
      nc,
      record: (callId, command, context) => recordFact(handler, callId, command, context),
      deadLetters: pgFactDeadLetters(pool),
      mayTakeDigits: (callId, legId) => mayTakeDigits(calls.cached(callId)?.state, legId),
      flushMediaFacts: (callId, timeoutMs) => media.flushFacts(callId, timeoutMs),
      clock,
      ids,
      log: log.child({ module: 'facts' }),
      durableName: o.factsConsumerName,
      ...(o.mediaLostAction ? { mediaLostAction: o.mediaLostAction } : {}),
      defaultMaxDurationMs: o.defaultMaxCallDurationMs ?? 0,
      ...(o.referPolicy ? { referPolicy: o.referPolicy } : {}),
      ...o.facts,
    });
    started.facts = facts;
    closers.push({ name: 'facts consumer', close: () => facts.close() });

    if (o.relay ?? true) {
      const relay = keepRunning(
        'relay',
        () =>
          startRelay({
            store,
            databaseUrl: o.databaseUrl,
            nc,
            onLeader: () => log.info('relay to CALL_EVENTS is active on this instance'),
            onSkippedCategory: (category, streamId) =>
              log.info({ category, streamId }, 'relay publishes no stream of this category'),
          }),
        log,
      );
      closers.push({ name: 'relay', close: () => relay.close() });
    }

    const watchers = new EventWatchers(
      (afterPosition) => subscribeAll({ store, databaseUrl: o.databaseUrl, afterPosition }),
      store.codecs,
    );
    const libraryProxy = mediaLibraryProxy({
      ...libraryPeer,
      credentials,
      log: log.child({ module: 'media-library' }),
    });
    closers.push({ name: 'media library proxy', close: async () => libraryProxy.close() });
    const recordingsForwarding = recordingsProxy({ ...recording, log: log.child({ module: 'recordings' }) });
    closers.push({ name: 'recordings proxy', close: async () => recordingsForwarding.close() });
    const interceptors = [];
    let authFailures: RunningCallOrchestrator['authFailures'] = noAuthFailures;
    if (o.apiTokensFile) {
      const authLog = log.child({ module: 'api-auth' });
      const file = watchApiCredentials(o.apiTokensFile, KNOWN_SCOPES, authLog, o.apiTokensReloadMs);
      closers.push({ name: 'API credentials', close: () => file.close() });
      const auth = apiAuth({ credentials: file.current, scopeOf, log: authLog });
      interceptors.push(auth.interceptor);
      authFailures = auth.failures;
    }
    const grpc = await startGrpcServer({
      log,
      ...o.grpc,
      interceptors,
      services: [
        callControlService({
          handler,
          calls,
          listActive: (size, token) => listActiveCalls(pool, size, token),
          watchers,
          stamp: { clock, ids, defaultMaxDurationMs: o.defaultMaxCallDurationMs ?? 0 },
          media: { tts, mediaLibrary: library },
          ...(effects.streams ? { streams: effects.streams } : {}),
          log: log.child({ module: 'grpc' }),
        }),
        // Applications use one address: the public MediaLibrary is forwarded to the media-library service.
        libraryProxy.binding,
        // And the public Recordings to the recording service.
        recordingsForwarding.binding,
      ],
    });
    closers.push({ name: 'grpc', close: () => grpc.close() });
    closers.push({
      name: 'dependency health',
      close: watchDependencies({
        pool,
        nc,
        health: grpc.health,
        service: CALL_CONTROL_SERVICE,
        log,
        intervalMs: o.healthProbeIntervalMs,
        // The probe may see PostgreSQL gone before any command does: the next one is refused before it acts.
        onDatabase: (up) => {
          probesDown = up ? 0 : probesDown + 1;
          if (up) logHealth.succeeded();
          else if (probesDown >= EVENT_LOG_SUSPECT_AFTER_PROBES) logHealth.failed();
        },
      }),
    });
    // Runs before the server's drain: WatchEvents streams never end by themselves, so they are ended
    // here (clients resume from their last position) instead of holding the drain to its limit.
    closers.push({ name: 'event watchers', close: () => watchers.close() });
    return { grpc, store, deadlines, reconciler, handler, calls, logHealth, authFailures, close };
  } catch (error) {
    await close();
    throw error;
  }
}
