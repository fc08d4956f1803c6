// CallControl's health follows what it cannot work without: PostgreSQL (every command reads and appends
// the log) and NATS (facts in, events out). A probe every second (each with a timeout) flips the gRPC health status, so a
// load balancer stops sending requests that could only fail, and sends them again once both are back.
import type pg from 'pg';
import type { NatsConnection } from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import type { HealthRegistry } from '@callctl/service';

export interface DependencyHealthOptions {
  pool: pg.Pool;
  nc: NatsConnection;
  health: HealthRegistry;
  service: string;
  log: Logger;
  /** With a probe timeout of 1 s, a dependency that stops answering shows within about 2 s. @default 1000 */
  intervalMs?: number;
  /** A probe not answered within this long counts as down. @default 1000 */
  timeoutMs?: number;
  /** Told of each PostgreSQL probe's outcome (commands stop acting while it is down). */
  onDatabase?(up: boolean): void;
}

/** The whole server's status (grpc.health.v1: the empty service name), which load balancers ask by default. */
const WHOLE_SERVER = '';

/** Resolves when PostgreSQL answers `SELECT 1` within `timeoutMs`; rejects otherwise. */
export function pingDatabase(pool: pg.Pool, timeoutMs: number): Promise<void> {
  return withinMs(pool.query('SELECT 1'), timeoutMs, 'PostgreSQL');
}

/**
 * Resolves when NATS answers a PING within `timeoutMs`. A stopped (SIGSTOPped, partitioned) server keeps
 * the TCP connection open, so a flush without a bound never settles.
 */
export function pingNats(nc: NatsConnection, timeoutMs: number): Promise<void> {
  if (nc.isClosed()) return Promise.reject(new Error('NATS connection closed'));
  return withinMs(nc.flush(), timeoutMs, 'NATS');
}

async function withinMs(work: Promise<unknown>, timeoutMs: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>(
    (_, reject) =>
      (timer = setTimeout(() => reject(new Error(`${what} did not answer in ${timeoutMs} ms`)), timeoutMs)),
  );
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export function watchDependencies(o: DependencyHealthOptions): () => void {
  const intervalMs = o.intervalMs ?? 1000;
  const timeoutMs = o.timeoutMs ?? 1000;
  let serving = true;
  let running = false;
  const up = (ping: Promise<void>) =>
    ping.then(
      () => true,
      () => false,
    );
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void Promise.all([up(pingDatabase(o.pool, timeoutMs)), up(pingNats(o.nc, timeoutMs))])
      .then(([database, nats]) => {
        o.onDatabase?.(database);
        const ok = database && nats;
        if (ok !== serving) {
          serving = ok;
          // The server as a whole serves nothing useful without them either: both names follow.
          for (const name of [o.service, WHOLE_SERVER]) o.health.set(name, ok ? 'SERVING' : 'NOT_SERVING');
          const log = ok ? o.log.info.bind(o.log) : o.log.warn.bind(o.log);
          log({ database, nats }, ok ? 'dependencies back: serving' : 'a dependency is down: not serving');
        }
      })
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
