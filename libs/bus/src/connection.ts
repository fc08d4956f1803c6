import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface BusConnectOptions {
  /** nats://host:port (comma-separated for several servers). */
  servers: string;
  /** Shown by the server (`nats server report connections`); use the service name. */
  name: string;
  /** Reconnect attempts before giving up; -1 = forever. @default -1 */
  maxReconnectAttempts?: number;
  /** Wait between reconnect attempts to one server. @default 1000 */
  reconnectTimeWaitMs?: number;
  /** Give up the first connection after this long. @default 5000 */
  connectTimeoutMs?: number;
}

export const DEFAULT_RECONNECT_TIME_WAIT_MS = 1000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Connects with the platform's reconnect policy: a service keeps trying rather than dying with NATS. */
export function connectBus(options: BusConnectOptions): Promise<NatsConnection> {
  return connect({
    servers: options.servers.split(',').map((s) => s.trim()),
    name: options.name,
    reconnect: true,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? DEFAULT_RECONNECT_TIME_WAIT_MS,
    timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // By default nats.js builds two Error objects (with stack traces) for every request and JetStream
    // publish, in case it fails; the profile of the full-stack benchmark showed them as the largest NATS
    // cost in sip-edge and the orchestrator. Failures still reject with a typed error, only without the
    // caller's stack.
    noAsyncTraces: true,
  });
}

export type { NatsConnection };
