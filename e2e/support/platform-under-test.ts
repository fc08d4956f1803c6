// The whole platform for one test file: sip-edge and what it talks to (edge-under-test.ts), plus a fresh
// PostgreSQL database and the call-orchestrator, with the public CallControl client and every call
// event it streams (WatchEvents from position 0); with `provisioning`, the provisioning service too (trunks,
// domains and users, routes), over a database of its own, and its client.
import { randomBytes } from 'node:crypto';
import { createCallControlClient, NO_RETRIES, type CallControlClient, type EventFeed } from '@callctl/client';
import type { callControl } from '@callctl/proto';
import { createTestDatabase, waitFor, type TestDatabase } from '@callctl/testing';
import { startEdgeUnderTest, type EdgeUnderTest, type FixtureOptions } from './edge-under-test.js';
import { provisioningApi, type ProvisioningApi } from './provisioning-api.js';
import {
  startOrchestratorProcess,
  startProvisioningProcess,
  type GrpcServiceProcess,
  type ServiceProcess,
  type SipEdgeSettings,
} from './services.js';

export type EventCase = NonNullable<callControl.WatchEventsResponse['event']>['$case'];
export type CallEvent<C extends EventCase> = callControl.WatchEventsResponse & {
  event: Extract<callControl.WatchEventsResponse['event'], { $case: C }>;
};

/**
 * Deadline of the tests' CallControl calls: far above what a call takes, so that only a hung call fails,
 * even on a loaded machine.
 */
const API_DEADLINE_MS = 30_000;

export interface PlatformUnderTest {
  edge: EdgeUnderTest;
  db: TestDatabase;
  orchestrator: GrpcServiceProcess;
  /**
   * Public API client (callctl.v1.CallControl, @callctl/client): the only way the tests' "application"
   * acts. Each call is made once (no retries): a test asserts what one call answers.
   */
  api: CallControlClient;
  /** One unary CallControl call: `p.rpc(p.api.answerLeg, request)` is `p.api.answerLeg(request)`. */
  rpc<Req, Res>(method: (request: Req) => Promise<Res>, request: Req): Promise<Res>;
  /** Every event WatchEvents delivered, in order (the stream is re-opened after an orchestrator restart). */
  events: callControl.WatchEventsResponse[];
  /** The first event of that kind satisfying `match`. */
  event<C extends EventCase>(
    kind: C,
    match?: (e: CallEvent<C>) => boolean,
    timeoutMs?: number,
  ): Promise<CallEvent<C>>;
  /** Events of one call, in log order. */
  eventsOf(callId: string): callControl.WatchEventsResponse[];
  /** The provisioning service and its API, when PlatformOptions.provisioning asked for them. */
  provisioning?: { service: GrpcServiceProcess; api: ProvisioningApi };
  /** SIGKILL the orchestrator (the test then restarts it with startOrchestrator). */
  killOrchestrator(): Promise<void>;
  startOrchestrator(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `event()` over a list of events a feed fills: the first of that kind satisfying `match`; on a timeout the
 * error lists the events seen and what the services said last, which is what explains a missing event.
 */
export function eventWaiter(events: callControl.WatchEventsResponse[], services: () => ServiceProcess[]) {
  return <C extends EventCase>(
    kind: C,
    match: (e: CallEvent<C>) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<CallEvent<C>> =>
    waitFor(
      `call event ${kind}`,
      () => events.find((e) => e.event?.$case === kind && match(e as never)) as never,
      timeoutMs,
      20,
    ).catch((error: unknown) => {
      throw new Error(
        `${String(error)}\nevents: ${events.map((e) => e.event?.$case).join(', ')}\n${serviceTails(services())}`,
      );
    });
}

/** The end of each service's log, for failure messages. */
const serviceTails = (services: ServiceProcess[]): string =>
  services.map((service) => `--- ${service.name}\n${service.output().slice(-3000)}`).join('\n');

export interface PlatformOptions extends FixtureOptions {
  /**
   * Keep every event in `events` through a WatchEvents stream from position 0. The benchmark turns it off:
   * its app has its own feed, and a second stream would be orchestrator load no deployment has.
   * @default true
   */
  watchEvents?: boolean;
  /** More orchestrator settings, e.g. DEFAULT_MAX_CALL_DURATION_MS. */
  orchestratorEnv?: NodeJS.ProcessEnv;
  /**
   * Also run the provisioning service over its own test database, publishing to the file's NATS KV, with
   * sip-edge given the same PROVISIONING_SECRETS_KEY (a random one per file). `env` adds settings.
   */
  provisioning?: boolean | { env?: NodeJS.ProcessEnv };
}

export async function startPlatform(
  settings: SipEdgeSettings = {},
  fixtures: PlatformOptions = {},
): Promise<PlatformUnderTest> {
  const secretsKey = randomBytes(32).toString('base64');
  const edge = await startEdgeUnderTest(
    fixtures.provisioning
      ? { ...settings, env: { PROVISIONING_SECRETS_KEY: secretsKey, ...settings.env } }
      : settings,
    fixtures,
  );
  let db: TestDatabase | undefined;
  let provisioningDb: TestDatabase | undefined;
  let provisioning: PlatformUnderTest['provisioning'];
  /** Stopped, last first, when the start fails half-way. */
  const started: { stop(): Promise<void> }[] = [];
  let orchestrator: GrpcServiceProcess;
  const orchestratorOptions = {
    natsUrl: edge.nats.url,
    databaseUrl: '',
    sipEdgeGrpcPort: edge.sipEdge.grpcPort,
    mediaWorkerGrpcPort: edge.mediaWorker.grpcPort,
    mediaStores: edge.mediaStores,
    env: { ...fixtures.serviceEnv, ...fixtures.orchestratorEnv },
  };
  try {
    db = await createTestDatabase();
    orchestratorOptions.databaseUrl = db.url;
    orchestrator = await startOrchestratorProcess(orchestratorOptions);
    started.unshift(orchestrator);
    if (fixtures.provisioning) {
      provisioningDb = await createTestDatabase();
      const more = fixtures.provisioning === true ? {} : fixtures.provisioning;
      const service = await startProvisioningProcess({
        databaseUrl: provisioningDb.url,
        natsUrl: edge.nats.url,
        secretsKey,
        env: { ...fixtures.serviceEnv, ...more.env },
      });
      started.unshift(service);
      provisioning = { service, api: await provisioningApi(`127.0.0.1:${service.grpcPort}`, edge.nats.url) };
    }
  } catch (error) {
    for (const service of started) await service.stop();
    await edge.close();
    await db?.drop();
    await provisioningDb?.drop();
    throw error;
  }
  const database = db;
  const api = createCallControlClient({
    address: `127.0.0.1:${orchestrator.grpcPort}`,
    deadlineMs: API_DEADLINE_MS,
    retry: NO_RETRIES,
  });
  const events: callControl.WatchEventsResponse[] = [];
  let watch: EventFeed | undefined;
  const openWatch = () => {
    if (fixtures.watchEvents === false) return;
    const from = events.length === 0 ? 0 : events[events.length - 1]!.envelope!.globalPosition + 1;
    // Not resumed by the client: a killed orchestrator is restarted by the test, which opens it again.
    const feed = (watch = api.watchEvents({ fromPosition: from, callId: '' }, { resume: false }));
    void (async () => {
      for await (const e of feed) events.push(e);
    })().catch(() => undefined); // cut by a killed orchestrator
  };
  openWatch();
  return {
    edge,
    db: database,
    get orchestrator() {
      return orchestrator;
    },
    api,
    rpc: (method, request) => method(request),
    events,
    event: eventWaiter(events, () => [
      orchestrator,
      edge.sipEdge,
      edge.mediaWorker,
      edge.engine,
      ...(edge.mixer ? [edge.mixer] : []),
      ...(edge.streamGateway ? [edge.streamGateway] : []),
      ...(provisioning ? [provisioning.service] : []),
    ]),
    eventsOf: (callId) => events.filter((e) => e.envelope?.streamId === `call-${callId}`),
    ...(provisioning ? { provisioning } : {}),
    async killOrchestrator() {
      watch?.close();
      await orchestrator.kill();
    },
    async startOrchestrator() {
      orchestrator = await startOrchestratorProcess({
        ...orchestratorOptions,
        grpcPort: orchestrator.grpcPort,
      });
      openWatch();
    },
    async close() {
      watch?.close();
      api.close();
      await orchestrator.stop();
      await provisioning?.api.close();
      await provisioning?.service.stop();
      await edge.close();
      await database.drop();
      await provisioningDb?.drop();
    },
  };
}
