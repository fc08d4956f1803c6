// One test file's world: a fresh migrated database, a nats-server, the recording sip-edge, and the
// orchestrator wired in-process (the process tests start dist/src/main.js instead).
import pg from 'pg';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { callStreamId, type RecordedEvent } from '@callctl/eventstore';
import { createLogger } from '@callctl/logging';
import {
  createTestDatabase,
  startNatsServer,
  type NatsServerFixture,
  type TestDatabase,
} from '@callctl/testing';
import {
  startCallOrchestrator,
  type CallOrchestratorOptions,
  type RunningCallOrchestrator,
} from '../../src/call-orchestrator.js';
import { CallControlTestClient } from './call-control-client.js';
import { RecordingSipEdge, type RecordingSipEdgeOptions } from './recording-sip-edge.js';

export interface Harness {
  db: TestDatabase;
  pool: pg.Pool;
  nats: NatsServerFixture;
  nc: NatsConnection;
  sipEdge: RecordingSipEdge;
  orchestrator: RunningCallOrchestrator;
  client: CallControlTestClient;
  /** Rows in the event log. */
  eventCount(): Promise<number>;
  /** The call's stream as stored. */
  stream(callId: string): Promise<RecordedEvent[]>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** A nats-server the caller started (and stops); else one is started for the harness. */
  nats?: NatsServerFixture;
  sipEdge?: Omit<RecordingSipEdgeOptions, 'nc'>;
  mediaWorker?: { address: string; mediaFilesDir: string };
  /** Options of the orchestrator beyond the harness's. */
  orchestrator?: Pick<CallOrchestratorOptions, 'facts'>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined); // the database is dropped WITH (FORCE) at the end
  pool.on('connect', (client) => client.on('error', () => undefined)); // and a test cuts connections
  const nats = options.nats ?? (await startNatsServer());
  const nc = await connectBus({ servers: nats.url, name: 'orchestrator-test' });
  const sipEdge = await RecordingSipEdge.start({ nc, ...options.sipEdge });
  const orchestrator = await startCallOrchestrator({
    log: createLogger({
      service: 'call-orchestrator-test',
      level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent',
    }),
    grpc: { host: '127.0.0.1', port: 0 },
    databaseUrl: db.url,
    natsUrl: nats.url,
    legReconcileIntervalMs: 3_600_000, // tests run it with reconciler.runOnce()
    healthProbeIntervalMs: 200,
    sipEdge: { address: sipEdge.address, timeoutMs: 3000 },
    mediaWorker: {
      address: options.mediaWorker?.address ?? '127.0.0.1:1',
      timeoutMs: 5000,
      mediaFilesDir: options.mediaWorker?.mediaFilesDir ?? '/nonexistent',
    },
    ...options.orchestrator,
  });
  const client = new CallControlTestClient(`127.0.0.1:${orchestrator.grpc.port}`);
  return {
    db,
    pool,
    nats,
    nc,
    sipEdge,
    orchestrator,
    client,
    eventCount: async () =>
      (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM event_log')).rows[0]!.n,
    stream: (callId) => orchestrator.store.readStream(callStreamId(callId)),
    stop: async () => {
      client.close();
      await orchestrator.close(); // safe when a test already closed it
      await sipEdge.stop();
      await nc.drain().catch(() => nc.close());
      if (!options.nats) await nats.stop();
      await pool.end();
      await db.drop();
    },
  };
}

export const typesOf = (events: readonly RecordedEvent[]) => events.map((e) => e.type);
