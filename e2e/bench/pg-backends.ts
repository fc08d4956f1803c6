// The PostgreSQL side of a step, for the test database only (the cluster is shared with other work):
// CPU of the backends serving it (the services' pooled connections, alive for the whole run), the
// transactions it committed, the events appended to the log, and what its backends were waiting for.
// The figures before and after a step are read with psql; the samples taken during the step go through
// one connection opened for the meter: a psql per sample (perl wrapper, psql, a new backend) cost about 3 %
// of this 2-core box at 100 calls/s, and its bursts landed on the calls being measured.
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { cpuMs } from '@callctl/testing';

const psql = (url: string, sql: string): string =>
  execFileSync('psql', [url, '-Atc', sql], { encoding: 'utf8', timeout: 10_000 }).trim();

const COMMITS = 'select xact_commit from pg_stat_database where datname = current_database()';
const LAST_POSITION = 'select coalesce(max(global_position), 0) from event_log';
/** Rows written per table (inserted + updated + deleted), as `table|n` lines. */
const TABLE_WRITES = `select relname, n_tup_ins + n_tup_upd + n_tup_del from pg_stat_user_tables
  where relname not like '\\_prisma%' order by relname`;
/** Busy backends of the database by what they do: running, or the wait event they are blocked on. */
const BUSY = `select coalesce(wait_event_type || '/' || wait_event, 'running') as state from pg_stat_activity
  where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'
  and query not like 'LISTEN%'`;
const SAMPLE_EVERY_MS = 500;

/** ALTER DATABASE <the url's database> SET name = value: for connections opened from now on. */
export function setDatabaseOption(url: string, name: string, value: string): void {
  if (!/^\w+$/.test(name) || !/^\w+$/.test(value)) throw new Error(`bad option ${name} = ${value}`);
  psql(
    url,
    `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET ${name} = ${value}', current_database()); END $$`,
  );
}

export interface PgUse {
  /** CPU of the backends that were connected when the meter started. */
  cpuMs: number;
  /** Transactions committed (read-only ones too: every autocommit statement is one). */
  commits: number;
  /** Events appended to the log. */
  events: number;
  /** Mean number of busy backends per state over the samples, e.g. "Lock/advisory 3.2, running 0.8". */
  busy: string;
  /** Rows written per table, e.g. { event_log: 80, event_checkpoint: 140 }. */
  tableWrites: Record<string, number>;
}

function tableWrites(url: string): Record<string, number> {
  return Object.fromEntries(
    psql(url, TABLE_WRITES)
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split('|'))
      .map(([table, n]) => [table!, Number(n)]),
  );
}

/**
 * Starts measuring the database's backends, commits and appends; the returned function ends it.
 * Statistics reach pg_stat_database when a backend goes idle (at most once a second), so end it a second
 * after the step's calls.
 */
export function pgMeter(url: string): () => PgUse {
  const pids = psql(
    url,
    'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
  )
    .split('\n')
    .filter(Boolean)
    .map(Number);
  const cpu0 = pids.map(cpuMs);
  const commits0 = Number(psql(url, COMMITS));
  const position0 = Number(psql(url, LAST_POSITION));
  const writes0 = tableWrites(url);
  // Sampled without blocking the benchmark's event loop (the app lives on it).
  const states = new Map<string, number>();
  let samples = 0;
  let sampling = true;
  const client = new pg.Client({ connectionString: url, application_name: 'full-stack-bench-meter' });
  const sample = async () => {
    if (!sampling) return;
    try {
      const { rows } = await client.query<{ state: string }>(BUSY);
      samples++;
      for (const { state } of rows) states.set(state, (states.get(state) ?? 0) + 1);
    } catch {
      // A lost sample only thins the average.
    }
    setTimeout(() => void sample(), SAMPLE_EVERY_MS);
  };
  client.connect().then(sample, () => undefined);
  return () => {
    sampling = false;
    void client.end().catch(() => undefined);
    const busy = [...states]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([state, n]) => `${state} ${(n / Math.max(1, samples)).toFixed(1)}`)
      .join(', ');
    return {
      // A backend that ended meanwhile reads 0: its share is lost, not negative.
      cpuMs: pids.reduce((sum, pid, i) => sum + Math.max(0, cpuMs(pid) - cpu0[i]!), 0),
      commits: Number(psql(url, COMMITS)) - commits0,
      events: Number(psql(url, LAST_POSITION)) - position0,
      busy: busy || 'none',
      tableWrites: Object.fromEntries(
        Object.entries(tableWrites(url)).map(([table, n]) => [table, n - (writes0[table] ?? 0)]),
      ),
    };
  };
}
