// The whole platform for a fault test: sip-edge and what it talks to (edge-under-test.ts), a fresh
// database reached by the orchestrator through a TCP proxy the test can cut (the stack's PostgreSQL is
// shared, so an outage is a cut link, never a stopped cluster), and the public CallControl client with a
// live WatchEvents feed. `readLog()` reads the whole log again over a fresh stream, for comparisons with
// the wire once the fault is over.
import { createCallControlClient, NO_RETRIES, type CallControlClient, type EventFeed } from '@callctl/client';
import { RELAY_CHECKPOINT_ID } from '@callctl/eventstore';
import type { callControl } from '@callctl/proto';
import { createTestDatabase, startTcpProxy, type TcpProxy, type TestDatabase } from '@callctl/testing';
import pg from 'pg';
import { startEdgeUnderTest, type EdgeUnderTest, type FixtureOptions } from './edge-under-test.js';
import { eventWaiter, type CallEvent, type EventCase } from './platform-under-test.js';
import { startOrchestratorProcess, type GrpcServiceProcess, type SipEdgeSettings } from './services.js';

/** Far above what a call takes: only a hung call fails. Commands during a fault set their own. */
const API_DEADLINE_MS = 20_000;
/** An application's pause before it opens an ended feed again. */
const FEED_REOPEN_MS = 500;

export interface FaultPlatform {
  edge: EdgeUnderTest;
  db: TestDatabase;
  /** Between the orchestrator and PostgreSQL. */
  pgLink: TcpProxy;
  orchestrator: GrpcServiceProcess;
  api: CallControlClient;
  /**
   * Every event the live feed delivered, in order. The feed is opened at the start and kept as an
   * application keeps it: the client resumes it, and when it ends with a status anyway it is opened again
   * from its next position (after FEED_REOPEN_MS).
   */
  events: callControl.WatchEventsResponse[];
  /** How each ending of the live feed came (its gRPC status, or `undefined` when it ended without one). */
  feedEndings: Array<number | undefined>;
  event<C extends EventCase>(
    kind: C,
    match?: (e: CallEvent<C>) => boolean,
    timeoutMs?: number,
  ): Promise<CallEvent<C>>;
  /** The whole log, read over a new WatchEvents stream up to the last position PostgreSQL holds. */
  readLog(timeoutMs?: number): Promise<callControl.WatchEventsResponse[]>;
  /** Event ids of the log with their global positions, in log order, straight from PostgreSQL. */
  loggedEvents(): Promise<Array<{ id: string; position: number }>>;
  /**
   * The relay's checkpoint (0 before its first): every event up to it was acked by JetStream. Once the
   * relay finds nothing new it writes it at once, so it reaches the log's head when CALL_EVENTS has it all.
   */
  relayCheckpoint(): Promise<number>;
  close(): Promise<void>;
}

export async function startFaultPlatform(
  settings: SipEdgeSettings = {},
  fixtures: FixtureOptions = {},
): Promise<FaultPlatform> {
  const edge = await startEdgeUnderTest(settings, fixtures);
  let db: TestDatabase | undefined;
  let pgLink: TcpProxy | undefined;
  let orchestrator: GrpcServiceProcess;
  try {
    db = await createTestDatabase();
    const direct = new URL(db.url);
    pgLink = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    orchestrator = await startOrchestratorProcess({
      natsUrl: edge.nats.url,
      databaseUrl: pgLink.via(db.url),
      sipEdgeGrpcPort: edge.sipEdge.grpcPort,
      mediaWorkerGrpcPort: edge.mediaWorker.grpcPort,
    });
  } catch (error) {
    await pgLink?.close();
    await edge.close();
    await db?.drop();
    throw error;
  }
  const database = db;
  const link = pgLink;
  const api = createCallControlClient({
    address: `127.0.0.1:${orchestrator.grpcPort}`,
    deadlineMs: API_DEADLINE_MS,
    retry: NO_RETRIES,
  });
  const events: callControl.WatchEventsResponse[] = [];
  const feedEndings: Array<number | undefined> = [];
  let feed: EventFeed;
  let closing = false;
  const openFeed = (fromPosition: number) => {
    const current = (feed = api.watchEvents({ fromPosition, callId: '' }));
    void (async () => {
      for await (const e of current) events.push(e);
    })().catch(() => undefined); // how it ended is read from closed()
    void current.closed().then(async (outcome) => {
      if (closing) return;
      feedEndings.push(outcome instanceof Error ? (outcome as { status?: number }).status : undefined);
      await new Promise((resolve) => setTimeout(resolve, FEED_REOPEN_MS));
      if (!closing) openFeed(current.nextPosition);
    });
  };
  openFeed(0);
  const query = async <R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query<R>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };
  return {
    edge,
    db: database,
    pgLink: link,
    orchestrator,
    api,
    events,
    feedEndings,
    event: eventWaiter(events, () => [orchestrator, edge.sipEdge, edge.mediaWorker, edge.engine]),
    async readLog(timeoutMs = 10_000) {
      const [row] = await query<{ last: string | null }>(
        'SELECT max(global_position)::text AS last FROM event_log',
      );
      const until = Number(row?.last ?? 0);
      const log: callControl.WatchEventsResponse[] = [];
      if (until === 0) return log;
      const reader = api.watchEvents({ fromPosition: 0, callId: '' }, { resume: false });
      const timer = setTimeout(() => reader.close(), timeoutMs);
      try {
        for await (const e of reader) {
          log.push(e);
          if (e.envelope!.globalPosition >= until) break;
        }
      } finally {
        clearTimeout(timer);
        reader.close();
      }
      if (log[log.length - 1]?.envelope?.globalPosition !== until) {
        throw new Error(`WatchEvents from 0 did not reach position ${until} in ${timeoutMs} ms`);
      }
      return log;
    },
    loggedEvents: async () =>
      (
        await query<{ id: string; position: string }>(
          'SELECT event_id::text AS id, global_position::text AS position FROM event_log ORDER BY global_position',
        )
      ).map((row) => ({ id: row.id, position: Number(row.position) })),
    relayCheckpoint: async () => {
      const [row] = await query<{ position: string }>(
        'SELECT position::text AS position FROM event_checkpoint WHERE subscriber_id = $1',
        [RELAY_CHECKPOINT_ID],
      );
      return Number(row?.position ?? 0);
    },
    async close() {
      closing = true;
      feed.close();
      api.close();
      await orchestrator.stop();
      await link.close();
      await edge.close();
      await database.drop();
    },
  };
}
