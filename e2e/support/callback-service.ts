// The callback service (services/callback, issue #17) as a process for end-to-end tests: its own test
// database, the platform's NATS and public API (the orchestrator's address serves CallControl and
// MediaLibrary), free gRPC and IIF ports, kept across a kill -9 and restart; a promise client of its public
// gRPC API; and an IIF peer (a UDP socket the test owns) that sends REQUESTs and answers RESPONSEs.
import { createCallbackClient, NO_RETRIES, type CallbackClient } from '@callctl/client';
import type { callback } from '@callctl/proto';
import { createTestDatabase, freePort, type TestDatabase } from '@callctl/testing';
import { startService, type ServiceProcess } from './services.js';

export interface CallbackServiceOptions {
  natsUrl: string;
  /** host:port of the platform's public API (the orchestrator's gRPC address). */
  apiAddress: string;
  /** CALLBACK_DIAL_PLAN: `<prefix>=><template>` rules (config.ts). */
  dialPlan: string;
  /** CALLBACK_IIF_PEERS. @default `test=127.0.0.1` (any port of loopback) */
  peers?: string;
  /** More settings (CALLBACK_RING_TIMEOUT_MS, CALLBACK_IIF_RESPONSE_RETRY_MS, ...). */
  env?: NodeJS.ProcessEnv;
}

export interface CallbackServiceProcess {
  grpcPort: number;
  iifPort: number;
  db: TestDatabase;
  /** The running process (a new one after restart()). */
  readonly process: ServiceProcess;
  client: CallbackApi;
  /** Every log line of every run so far (a restart appends), for failure messages and timings. */
  output(): string;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGKILL, then the same service again on the same ports and database. */
  restart(): Promise<void>;
  /** Starts it again after kill() (same ports and database). */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The ready line of the service's main (runService's convention: `<name> ready`). */
const READY_LINE = 'callback ready';

export async function startCallbackProcess(options: CallbackServiceOptions): Promise<CallbackServiceProcess> {
  const grpcPort = await freePort();
  const iifPort = await freePort();
  const db = await createTestDatabase();
  const env: NodeJS.ProcessEnv = {
    GRPC_PORT: String(grpcPort),
    IIF_PORT: String(iifPort),
    DATABASE_URL: db.url,
    NATS_URL: options.natsUrl,
    CALLCTL_API: options.apiAddress,
    CALLBACK_IIF_PEERS: options.peers ?? 'test=127.0.0.1',
    CALLBACK_DIAL_PLAN: options.dialPlan,
    ...options.env,
  };
  let earlier = '';
  let running: ServiceProcess;
  try {
    running = await startService('callback', env, READY_LINE);
  } catch (error) {
    await db.drop();
    throw error;
  }
  const client = createCallbackApi(`127.0.0.1:${grpcPort}`);
  const start = async () => {
    earlier += running.output();
    running = await startService('callback', env, READY_LINE);
  };
  return {
    grpcPort,
    iifPort,
    db,
    get process() {
      return running;
    },
    client,
    output: () => earlier + running.output(),
    kill: () => running.kill(),
    start,
    async restart() {
      await running.kill();
      await start();
    },
    async close() {
      client.close();
      await running.stop();
      await db.drop();
    },
  };
}

/** A dial plan sending users by their first character to sipp UASs on fixed ports: `{ '1': 5091, ... }`. */
export const dialPlanByPrefix = (ports: Record<string, number>): string =>
  Object.entries(ports)
    .map(([prefix, port]) => `${prefix}=>sip:{user}@127.0.0.1:${port}`)
    .join(' ');

/** The public callctl.v1.Callback client, each call made once (a test asserts what one call answers). */
export type CallbackApi = CallbackClient;
export type CallbackEvent = callback.WatchCallbackEventsResponse;
export type WatchedEvents = CallbackEvent[];

const DEADLINE_MS = 30_000;

const createCallbackApi = (address: string): CallbackApi =>
  createCallbackClient({ address, deadlineMs: DEADLINE_MS, retry: NO_RETRIES });

/**
 * Every event WatchCallbackEvents delivers from `fromPosition` pushed into `into`, until the returned stop is
 * called or the service dies (not resumed: the test re-opens it after a restart, from nextPosition).
 */
export function watchCallbackEvents(
  client: CallbackApi,
  request: callback.DeepPartial<callback.WatchCallbackEventsRequest>,
  into: WatchedEvents,
): () => void {
  const feed = client.watchCallbackEvents(request, { resume: false });
  void (async () => {
    for await (const event of feed) into.push(event);
  })().catch(() => undefined); // cut by a killed service or by stop
  return () => feed.close();
}

/** The position after the last event held, to re-open a watch after a restart without repeats. */
export const nextPosition = (events: WatchedEvents): number => {
  const last = events[events.length - 1]?.envelope?.globalPosition;
  return last === undefined ? 0 : last + 1;
};
