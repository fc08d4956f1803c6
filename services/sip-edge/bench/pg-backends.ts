// The PostgreSQL side of a step, for the test database only (the cluster is shared with other work):
// CPU of the backends serving it (the services' pooled connections, alive for the whole run) and the
// transactions it committed. Read with psql, so the benchmark needs no database driver of its own.
import { execFileSync } from 'node:child_process';
import { cpuMs } from '../../sip-engine/bench/sip-engine.bench.js';

function psql(url: string, sql: string): string {
  return execFileSync('psql', [url, '-Atc', sql], { encoding: 'utf8', timeout: 10_000 }).trim();
}

export interface PgUse {
  /** CPU of the backends that were connected when the meter started. */
  cpuMs: number;
  commits: number;
}

/**
 * Starts measuring the database's backends and commits; the returned function ends it. Statistics reach
 * pg_stat_database when a backend goes idle (at most once a second), so end it after the step's calls.
 */
export function pgMeter(url: string): () => PgUse {
  const pids = psql(
    url,
    'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
  )
    .split('\n')
    .filter(Boolean)
    .map(Number);
  const commits = () =>
    Number(psql(url, 'select xact_commit from pg_stat_database where datname = current_database()'));
  const cpu0 = pids.map(cpuMs);
  const commits0 = commits();
  return () => ({
    // A backend that ended meanwhile reads 0: its share is lost, not negative.
    cpuMs: pids.reduce((sum, pid, i) => sum + Math.max(0, cpuMs(pid) - cpu0[i]!), 0),
    commits: commits() - commits0,
  });
}
