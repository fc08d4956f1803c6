import { readFileSync } from 'node:fs';
import { nkeyAuthenticator } from '@nats-io/nats-core';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/** How the service proves itself to NATS and checks the server (the NATS_* variables, README). */
export interface BusSecurity {
  /** With `password`: NATS user/password authentication. */
  user?: string;
  password?: string;
  /** File with the user's nkey seed; read at every (re)connect, so a rotated Secret is picked up. */
  nkeySeedFile?: string;
  /** TLS to the server, verified against `caFile`; a client certificate when the server asks for one. */
  tls?: { caFile: string; certFile?: string; keyFile?: string };
}

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
  /** @default anonymous and plain (the local stack's NATS) */
  security?: BusSecurity;
}

export const DEFAULT_RECONNECT_TIME_WAIT_MS = 1000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Connects with the platform's reconnect policy: a service keeps trying rather than dying with NATS. */
export function connectBus(options: BusConnectOptions): Promise<NatsConnection> {
  const security = options.security ?? {};
  return connect({
    ...(security.user !== undefined ? { user: security.user, pass: security.password } : {}),
    ...(security.nkeySeedFile !== undefined
      ? { authenticator: nkeyAuthenticator(nkeySeedOf(security.nkeySeedFile)) }
      : {}),
    // nats.js reads these files at each connect, so rotated certificates are used on the next reconnect.
    ...(security.tls ? { tls: { ...security.tls } } : {}),
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

/** The seed as nats.js wants it, read when it is needed (a Secret mounted as a file may be rotated). */
function nkeySeedOf(file: string): () => Uint8Array {
  return () => new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}

export type { NatsConnection };
