// The callback service (services/callback, issue #17) as a process for end-to-end tests: its own test
// database, the platform's NATS and public API (the orchestrator's address serves CallControl and
// MediaLibrary), free gRPC and IIF ports, kept across a kill -9 and restart; a promise client of its public
// gRPC API; and an IIF peer (a UDP socket the test owns) that sends REQUESTs and answers RESPONSEs.
import {
  Metadata,
  credentials,
  type CallOptions,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { callback } from '@callctl/proto';
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

type Unary<Req, Res> = (request: callback.DeepPartial<Req>) => Promise<Res>;

/** The public callctl.v1.Callback API as promises, each call made once (a test asserts what one call answers). */
export interface CallbackApi {
  startCallback: Unary<callback.StartCallbackRequest, callback.StartCallbackResponse>;
  getCallback: Unary<callback.GetCallbackRequest, callback.GetCallbackResponse>;
  listCallbacks: Unary<callback.ListCallbacksRequest, callback.ListCallbacksResponse>;
  cancelCallback: Unary<callback.CancelCallbackRequest, callback.CancelCallbackResponse>;
  getCallbackStats: Unary<callback.GetCallbackStatsRequest, callback.GetCallbackStatsResponse>;
  /** Every event the stream delivers from `fromPosition`, pushed into `into` until close() is called. */
  watch(request: callback.DeepPartial<callback.WatchCallbackEventsRequest>, into: WatchedEvents): () => void;
  close(): void;
}

export type CallbackEvent = callback.WatchCallbackEventsResponse;
export type WatchedEvents = CallbackEvent[];

const DEADLINE_MS = 30_000;

function createCallbackApi(address: string): CallbackApi {
  const raw = new callback.CallbackClient(address, credentials.createInsecure());
  const unary =
    <Req, Res>(
      method: (
        request: Req,
        metadata: Metadata,
        options: Partial<CallOptions>,
        done: (error: ServiceError | null, response: Res) => void,
      ) => unknown,
      fromPartial: (partial: callback.DeepPartial<Req>) => Req,
    ): Unary<Req, Res> =>
    (request) =>
      new Promise<Res>((resolve, reject) =>
        method.call(
          raw,
          fromPartial(request),
          new Metadata(),
          { deadline: new Date(Date.now() + DEADLINE_MS) },
          (error: ServiceError | null, response: Res) => (error ? reject(error) : resolve(response)),
        ),
      );
  return {
    startCallback: unary(raw.startCallback, (r) => callback.StartCallbackRequest.fromPartial(r)),
    getCallback: unary(raw.getCallback, (r) => callback.GetCallbackRequest.fromPartial(r)),
    listCallbacks: unary(raw.listCallbacks, (r) => callback.ListCallbacksRequest.fromPartial(r)),
    cancelCallback: unary(raw.cancelCallback, (r) => callback.CancelCallbackRequest.fromPartial(r)),
    getCallbackStats: unary(raw.getCallbackStats, (r) => callback.GetCallbackStatsRequest.fromPartial(r)),
    watch(request, into) {
      const stream: ClientReadableStream<CallbackEvent> = raw.watchCallbackEvents(
        callback.WatchCallbackEventsRequest.fromPartial(request),
      );
      stream.on('data', (event: CallbackEvent) => into.push(event));
      // Cut by a killed service or by close(): the test re-opens it from the last position it holds.
      stream.on('error', () => undefined);
      return () => stream.cancel();
    },
    close: () => raw.close(),
  };
}

/** The position after the last event held, to re-open a watch after a restart without repeats. */
export const nextPosition = (events: WatchedEvents): number => {
  const last = events[events.length - 1]?.envelope?.globalPosition;
  return last === undefined ? 0 : last + 1;
};
