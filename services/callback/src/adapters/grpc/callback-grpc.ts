// The public gRPC side of the callback service: callctl.v1.Callback and grpc.health.v1.Health on one port,
// with the same security as CallControl's public port (TLS, API_AUTH=token with API_TOKENS_FILE, scopes
// callbacks:read / callbacks:write).
import type { Logger } from '@callctl/logging';
import { EventWatchers, subscribeAll, type EventStore } from '@callctl/eventstore';
import { startPublicGrpcServer, type HealthRegistry, type ServerTlsFiles } from '@callctl/service';
import type { Callbacks } from '../../app/ports.js';
import type { IifCounters } from '../../iif/iif-server.js';
import type { ResponseCounters } from '../../iif/response-sender.js';
import { callbackService } from './callback-service.js';
import { callbackScopeOf } from './method-scopes.js';

export interface CallbackGrpcOptions {
  host: string;
  port: number;
  healthPort?: number;
  callbacks: Callbacks;
  /** The callback log, for WatchCallbackEvents (stored then live, as CallControl.WatchEvents). */
  store: EventStore;
  /** The callback log's database: WatchCallbackEvents LISTENs there for new events (subscribeAll). */
  databaseUrl: string;
  /** The IIF's counters, for GetCallbackStats (absent when the IIF is off). */
  iifCounters?: () => IifCounters & ResponseCounters;
  /** TLS on the port (config publicTls). @default plain */
  tls?: ServerTlsFiles | undefined;
  /** API_AUTH=token: the credentials file (config apiTokensFile). @default no authentication */
  apiTokensFile?: string | undefined;
  /** How often the credentials file is checked for changes. @default libs/service's */
  apiTokensReloadMs?: number;
  /** How long in-flight calls may finish at close. @default 5000 */
  drainMs?: number;
  log: Logger;
}

export interface CallbackGrpc {
  readonly address: string;
  readonly port: number;
  /** The health registry (callctl.v1.Callback SERVING once started). */
  readonly health: HealthRegistry;
  close(): Promise<void>;
}

export async function startCallbackGrpc(options: CallbackGrpcOptions): Promise<CallbackGrpc> {
  const { log, store } = options;
  const watchers = new EventWatchers((afterPosition) =>
    subscribeAll({ store, databaseUrl: options.databaseUrl, afterPosition }),
  );
  const server = await startPublicGrpcServer({
    apiTokensFile: options.apiTokensFile,
    scopeOf: callbackScopeOf,
    apiTokensReloadMs: options.apiTokensReloadMs,
    log,
    host: options.host,
    port: options.port,
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.healthPort !== undefined ? { healthPort: options.healthPort } : {}),
    ...(options.drainMs !== undefined ? { drainMs: options.drainMs } : {}),
    services: [
      callbackService({
        callbacks: options.callbacks,
        watchers,
        codecs: store.codecs,
        iifCounters: options.iifCounters,
        log: log.child({ module: 'grpc' }),
      }),
    ],
  });
  return {
    address: server.address,
    port: server.port,
    health: server.health,
    async close() {
      // Watches never end by themselves: end them (clients resume from their last position) before the
      // drain, which would otherwise wait for them to its limit.
      await watchers.close();
      await server.close();
    },
  };
}
