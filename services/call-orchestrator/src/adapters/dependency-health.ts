// CallControl's health follows what it cannot work without: PostgreSQL (every command reads and appends
// the log) and NATS (facts in, events out). A probe every few seconds flips the gRPC health status, so a
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
  /** @default 5000 */
  intervalMs?: number;
  /** A probe not answered within this long counts as down. @default 2000 */
  timeoutMs?: number;
}

export function watchDependencies(o: DependencyHealthOptions): () => void {
  const intervalMs = o.intervalMs ?? 5000;
  const timeoutMs = o.timeoutMs ?? 2000;
  let serving = true;
  let running = false;
  const probeDatabase = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const answered = o.pool.query('SELECT 1').then(
      () => true,
      () => false,
    );
    const ok = await Promise.race([answered, late]);
    clearTimeout(timer);
    return ok;
  };
  const probeNats = async (): Promise<boolean> => {
    if (o.nc.isClosed()) return false;
    try {
      await o.nc.flush();
      return true;
    } catch {
      return false;
    }
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void Promise.all([probeDatabase(), probeNats()])
      .then(([database, nats]) => {
        const ok = database && nats;
        if (ok !== serving) {
          serving = ok;
          o.health.set(o.service, ok ? 'SERVING' : 'NOT_SERVING');
          const log = ok ? o.log.info.bind(o.log) : o.log.warn.bind(o.log);
          log({ database, nats }, ok ? 'dependencies back: serving' : 'a dependency is down: not serving');
        }
      })
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
