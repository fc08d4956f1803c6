import { randomUUID } from 'node:crypto';
import type { ChannelCredentials } from '@grpc/grpc-js';
import {
  advertiseInstance,
  connectBus,
  ensureFactsStream,
  watchInstances,
  type BusSecurity,
  type NatsConnection,
} from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import {
  openBindingStore,
  openTrunkStatusStore,
  parseSecretsKey,
  watchProvisioning,
} from '@callctl/provisioning';
import { startGrpcServer, type RunningGrpcServer, type GrpcListenOptions } from '@callctl/service';
import { FactPublisher } from './adapters/nats/fact-publisher.js';
import { NatsLegJournal } from './adapters/nats/leg-journal.js';
import { MediaWorkerClient } from './adapters/media/media-worker-client.js';
import { connectEngine, type EngineConnection } from './adapters/srf/engine-connection.js';
import { sipEdgeService } from './adapters/grpc/sip-edge-service.js';
import type { LegSettings } from './app/leg-context.js';
import { MediaPlan } from './domain/media-plan.js';
import { LegRegistry } from './app/leg-registry.js';
import { SipLegs } from './app/sip-legs.js';
import { RecordingSessions } from './app/recording-sessions.js';
import { startDeviceAccess, type DeviceAccessSettings } from './device-access.js';
import { passwordOpener, TrunkRegistrations } from './app/trunk-registrations.js';
import { publishTrunkRegistrationChanged } from './adapters/nats/trunk-registration-events.js';

export interface SipEdgeOptions {
  log: Logger;
  /** tls: internal mTLS (internalServerTls). @default plain */
  grpc: GrpcListenOptions;
  engine: { host: string; port: number; secret: string };
  natsUrl: string;
  /** NATS credentials and TLS (NATS_*). @default anonymous, plain */
  natsSecurity?: BusSecurity;
  /** Name of this instance: its leg journal is its own. */
  instance: string;
  facts: { giveUpAfterMs: number; offerGiveUpAfterMs: number; attemptTimeoutMs: number };
  mediaWorker: { address: string; timeoutMs: number; credentials?: ChannelCredentials };
  legs: LegSettings;
  /**
   * Shutdown: how long calls up may go on after new INVITEs are refused (0: end them at once), and the
   * Retry-After of those refusals.
   */
  drain: { maxMs: number; retryAfterS: number };
  /** host:port announced to peers (ADVERTISE_GRPC). @default 127.0.0.1 and the bound gRPC port */
  advertise?: string;
  /**
   * Outbound routing by the dial plan (numbers through trunks, platform users to their contacts):
   * GATEWAY_ATTEMPT_TIMEOUT_MS. @default every target a SIP URI, as given
   */
  outbound?: { gatewayAttemptTimeoutMs: number };
  /** The registrar and who may call in (trunks, devices, INBOUND_ALLOW_CIDRS). */
  access: DeviceAccessSettings;
  /**
   * Registration to providers (TRUNK_REGISTER_RETRY_*_MS, GATEWAY_ATTEMPT_TIMEOUT_MS).
   */
  trunkRegistration: {
    retry: { minMs: number; maxMs: number };
    attemptTimeoutMs: number;
  };
  /**
   * The key that opens trunks' sealed passwords (PROVISIONING_SECRETS_KEY, base64), for both outbound
   * attempts and registrations. Unset: challenges from gateways and providers are not answered (logged).
   */
  secretsKey?: string;
}

export interface RunningSipEdge {
  grpc: RunningGrpcServer;
  engine: EngineConnection;
  nc: NatsConnection;
  legs: SipLegs;
  /**
   * Announces this instance as draining: orchestrators still reach it for the calls it holds but place no
   * new call through it (for a drain that lets calls finish before close).
   */
  announceDraining(): void;
  close(): Promise<void>;
}

/** Wires sip-edge's parts by hand (STYLE 13); main.ts starts it through here. */
export async function startSipEdge(options: SipEdgeOptions): Promise<RunningSipEdge> {
  const { log } = options;
  const nc = await connectBus({
    servers: options.natsUrl,
    name: 'sip-edge',
    ...(options.natsSecurity ? { security: options.natsSecurity } : {}),
  });
  await ensureFactsStream(nc);
  const publisher = new FactPublisher({ nc, log: log.child({ module: 'facts' }), ...options.facts });
  const workers = await watchInstances({ nc, kind: 'media-worker' });
  const media = new MediaWorkerClient({
    ...options.mediaWorker,
    instances: workers,
    codecs: options.legs.codecs,
  });
  const journal = await NatsLegJournal.open({
    nc,
    log: log.child({ module: 'journal' }),
    instance: options.instance,
  });
  // The provisioning as published (CALLCTL_PROVISIONING, kept current by a KV watch) and the registrar's
  // bindings: one copy of each for the registrar, the inbound gate and outbound routing.
  const provisioning = await watchProvisioning(nc, log.child({ module: 'provisioning' }));
  const bindings = await openBindingStore(nc);
  const secretsKey = options.secretsKey ? parseSecretsKey(options.secretsKey) : undefined;
  const routing = options.outbound
    ? {
        provisioning,
        bindings,
        ...(secretsKey ? { secretsKey } : {}),
        gatewayAttemptTimeoutMs: options.outbound.gatewayAttemptTimeoutMs,
        random: Math.random,
        nowMs: Date.now,
      }
    : undefined;
  // Read before the engine can hand us a new INVITE, whose leg would otherwise look like an old one.
  const previousRun = await journal.recover();
  const engine = connectEngine({ ...options.engine, log: log.child({ module: 'engine' }) });
  const legs = new SipLegs({
    registry: new LegRegistry(),
    journal,
    facts: publisher,
    media,
    plan: new MediaPlan(),
    sip: engine.stack,
    log: log.child({ module: 'legs' }),
    newId: randomUUID,
    settings: options.legs,
    ...(routing ? { routing } : {}),
  });
  const recordings = new RecordingSessions({
    sip: engine.stack,
    facts: publisher,
    log: log.child({ module: 'recordings' }),
    newId: randomUUID,
    fromUri: options.legs.defaultFromUri,
  });
  const access = startDeviceAccess({
    provisioning,
    bindings,
    legs,
    instance: options.instance,
    settings: options.access,
    log,
  });
  engine.stack.invite((request, response) => {
    access
      .onInvite(request, response)
      .catch((error: unknown) => log.error({ err: error }, 'inbound INVITE failed'));
  });
  engine.stack.register((request, response) => {
    access
      .onRegister(request, response)
      .catch((error: unknown) => log.error({ err: error }, 'REGISTER failed'));
  });
  engine.stack.refer((_request, response) => void legs.onReferWithoutDialog(response));
  await engine.ready;
  const trunkRegistrations = new TrunkRegistrations({
    view: provisioning,
    status: await openTrunkStatusStore(nc),
    sip: engine.stack,
    publishChange: (status) => publishTrunkRegistrationChanged(nc, status),
    openPassword: passwordOpener(secretsKey, log.child({ module: 'trunk-registrations' })),
    retry: options.trunkRegistration.retry,
    attemptTimeoutMs: options.trunkRegistration.attemptTimeoutMs,
    instance: options.instance,
    log: log.child({ module: 'trunk-registrations' }),
  });
  trunkRegistrations.start();
  const ended = await legs.endLegsOfPreviousRun(previousRun);
  if (ended > 0) log.warn({ legs: ended }, 'ended the legs of the previous run');
  const grpc = await startGrpcServer({
    log,
    ...options.grpc,
    services: [sipEdgeService(legs, recordings, log)],
  });
  // Announced once it serves: the orchestrators send this instance new calls and find its legs.
  const advertisement = await advertiseInstance({
    nc,
    kind: 'sip-edge',
    name: options.instance,
    address: options.advertise ?? `127.0.0.1:${grpc.port}`,
    resources: () => ({ sip: engine.listenAddresses() }),
  });
  return {
    grpc,
    engine,
    nc,
    legs,
    announceDraining: () => advertisement.drain(),
    async close() {
      // New INVITEs are refused from here on, and health says NOT_SERVING so load balancers and probes
      // take the instance out; the gRPC API stays up, since the calls still held need it.
      legs.stopTakingCalls(options.drain.retryAfterS);
      grpc.health.setAllNotServing();
      if (options.drain.maxMs > 0) {
        log.info(
          { legs: legs.liveCount(), maxMs: options.drain.maxMs },
          'draining: waiting for the calls up to end',
        );
        const left = await legs.waitForLegsToEnd(options.drain.maxMs);
        if (left > 0) log.warn({ legs: left }, 'drain time is up; ending the calls still up');
        else log.info('drained: every call has ended');
      }
      // Announced until the drain is over: peers still route the calls held here to this instance.
      await advertisement.close();
      await grpc.close();
      // Calls nobody can control any more are ended now, with their facts, rather than left up in the engine.
      const ended = await legs.endEveryLeg();
      if (ended > 0) log.warn({ legs: ended }, 'ended the calls still up at shutdown');
      // Recording sessions get their BYE too: the recorders would otherwise record silence until they time out.
      const recorded = await recordings.endAll();
      if (recorded > 0) log.info({ sessions: recorded }, 'ended the recording sessions still up at shutdown');
      // Un-REGISTERs at the providers while the engine is still there to send them.
      await trunkRegistrations.close();
      await publisher.flush();
      engine.close();
      access.close();
      await provisioning.close();
      publisher.close();
      media.close();
      workers.close();
      await nc.drain();
    },
  };
}
