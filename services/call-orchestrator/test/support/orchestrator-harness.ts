// One test file's world: a fresh migrated database, a nats-server, the recording sip-edge, and the
// orchestrator wired in-process (the process tests start dist/src/main.js instead).
import pg from 'pg';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { callStreamId, type RecordedEvent } from '@callctl/eventstore';
import { createLogger } from '@callctl/logging';
import {
  createTestDatabase,
  waitFor,
  startNatsServer,
  startTcpProxy,
  type NatsServerFixture,
  type TcpProxy,
  type TestDatabase,
} from '@callctl/testing';
import {
  startCallOrchestrator,
  type CallOrchestratorOptions,
  type RunningCallOrchestrator,
} from '../../src/call-orchestrator.js';
import { CallControlTestClient } from './call-control-client.js';
import { RecordingSipEdge, type RecordingSipEdgeOptions, type SipEdgeMethod } from './recording-sip-edge.js';

export interface Harness {
  db: TestDatabase;
  pool: pg.Pool;
  nats: NatsServerFixture;
  nc: NatsConnection;
  sipEdge: RecordingSipEdge;
  orchestrator: RunningCallOrchestrator;
  client: CallControlTestClient;
  /** The proxy the orchestrator reaches PostgreSQL through (HarnessOptions.databaseProxy). */
  databaseProxy?: TcpProxy;
  /** Rows in the event log. */
  eventCount(): Promise<number>;
  /** The call's stream as stored. */
  stream(callId: string): Promise<RecordedEvent[]>;
  /** The call's stream once it holds `count` events of this type. */
  until(callId: string, type: string, count?: number): Promise<RecordedEvent[]>;
  /** The requests of one method sip-edge received for the call, in order. */
  sent(method: SipEdgeMethod, callId: string): Array<Record<string, unknown>>;
  /** An inbound call reported by sip-edge, recorded by the orchestrator. */
  inboundCall(): Promise<{ callId: string; legId: string }>;
  /** The same, answered with AnswerLeg. */
  answeredInboundCall(): Promise<{ callId: string; legId: string }>;
  /** A caller A (inbound, answered) bridged with B, whom the application dialled (Dial key `dialKey`). */
  bridgedCall(dialKey?: string): Promise<{ callId: string; a: string; b: string }>;
  /**
   * Another orchestrator process on the same log, NATS and sip-edge (a restart: close `orchestrator` first),
   * with the harness's options and `more`; the caller closes it.
   */
  startAnother(more?: Partial<CallOrchestratorOptions>): Promise<RunningCallOrchestrator>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** A nats-server the caller started (and stops); else one is started for the harness. */
  nats?: NatsServerFixture;
  sipEdge?: Omit<RecordingSipEdgeOptions, 'nc'>;
  mediaWorker?: { address: string; mediaFilesDir: string };
  /**
   * The orchestrator reaches PostgreSQL through a TCP proxy the test can cut (an outage of the event log
   * for the orchestrator only; the test's own pool goes direct).
   */
  databaseProxy?: boolean;
  /** How often the health probe runs; present but undefined: the orchestrator's default. @default 200 */
  healthProbeIntervalMs?: number;
  /** Options of the orchestrator beyond the harness's. */
  orchestrator?: Partial<
    Pick<
      CallOrchestratorOptions,
      | 'facts'
      | 'tts'
      | 'mediaLibrary'
      | 'recording'
      | 'mixer'
      | 'streamGateway'
      | 'grpc'
      | 'siprec'
      | 'apiTokensFile'
      | 'apiTokensReloadMs'
      | 'internalTls'
      | 'referPolicy'
      | 'deadlineResyncMs'
      | 'deviceCallRouting'
    >
  >;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  pool.on('connect', (client) => client.on('error', () => undefined)); // and a test cuts connections
  const nats = options.nats ?? (await startNatsServer());
  const nc = await connectBus({ servers: nats.url, name: 'orchestrator-test' });
  const sipEdge = await RecordingSipEdge.start({ nc, ...options.sipEdge });
  const dbUrl = new URL(db.url);
  const databaseProxy = options.databaseProxy
    ? await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) })
    : undefined;
  const orchestratorOptions = (): CallOrchestratorOptions => ({
    log: createLogger({
      service: 'call-orchestrator-test',
      level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent',
    }),
    grpc: { host: '127.0.0.1', port: 0 },
    databaseUrl: databaseProxy?.via(db.url) ?? db.url,
    natsUrl: nats.url,
    legReconcileIntervalMs: 3_600_000, // tests run it with reconciler.runOnce()
    healthProbeIntervalMs: 'healthProbeIntervalMs' in options ? options.healthProbeIntervalMs : 200,
    sipEdge: { address: sipEdge.address, timeoutMs: 3000 },
    mediaWorker: {
      address: options.mediaWorker?.address ?? '127.0.0.1:1',
      timeoutMs: 5000,
      mediaFilesDir: options.mediaWorker?.mediaFilesDir ?? '/nonexistent',
    },
    // Nothing listens there: a test that needs the tts service, the media library or the recording service
    // starts it (never the shared stack's, on the default ports).
    tts: { address: '127.0.0.1:1', timeoutMs: 2000 },
    mediaLibrary: { address: '127.0.0.1:1', timeoutMs: 2000 },
    recording: { address: '127.0.0.1:1', timeoutMs: 2000 },
    mixer: { address: '127.0.0.1:1', timeoutMs: 2000 },
    streamGateway: { address: '127.0.0.1:1', timeoutMs: 2000 },
    ...options.orchestrator,
  });
  const orchestrator = await startCallOrchestrator(orchestratorOptions());
  const client = new CallControlTestClient(`127.0.0.1:${orchestrator.grpc.port}`);
  const stream = (callId: string) => orchestrator.store.readStream(callStreamId(callId));
  const inboundCall = async () => {
    const ids = await sipEdge.offerInboundCall();
    await waitFor('inbound call recorded', async () => (await stream(ids.callId)).length === 3);
    return ids;
  };
  const answeredInboundCall = async () => {
    const ids = await inboundCall();
    await client.answerLeg(ids.callId, ids.legId);
    return ids;
  };
  const until = async (callId: string, type: string, count = 1) => {
    await waitFor(
      `${type} recorded`,
      async () => typesOf(await stream(callId)).filter((t) => t === type).length >= count,
    );
    return stream(callId);
  };
  return {
    db,
    pool,
    nats,
    nc,
    sipEdge,
    orchestrator,
    client,
    ...(databaseProxy ? { databaseProxy } : {}),
    eventCount: async () =>
      (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM event_log')).rows[0]!.n,
    stream,
    sent: (method, callId) => sipEdge.received(method).filter((r) => r.callId === callId),
    until,
    inboundCall,
    answeredInboundCall,
    bridgedCall: async (dialKey = 'dial-b') => {
      const { callId, legId: a } = await answeredInboundCall();
      const { legId: b } = await client.dial({ callId, bridgeWithLegId: a, idempotencyKey: dialKey });
      await until(callId, 'LegInitiated', 2);
      await sipEdge.answered(callId, b);
      await until(callId, 'LegsBridged');
      return { callId, a, b };
    },
    startAnother: (more = {}) => startCallOrchestrator({ ...orchestratorOptions(), ...more }),
    stop: async () => {
      client.close();
      databaseProxy?.restore();
      await orchestrator.close(); // safe when a test already closed it
      await databaseProxy?.close();
      await sipEdge.stop();
      await nc.drain().catch(() => nc.close());
      if (!options.nats) await nats.stop();
      await pool.end();
      await db.drop();
    },
  };
}

export const typesOf = (events: readonly RecordedEvent[]) => events.map((e) => e.type);

/** The events of a type, decoded as their proto message. */
export const decoded = <T>(
  events: readonly RecordedEvent[],
  type: string,
  as: { fromJSON(o: unknown): T },
): T[] => events.filter((e) => e.type === type).map((e) => as.fromJSON(e.data));
