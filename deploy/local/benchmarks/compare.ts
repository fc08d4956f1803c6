// `make bench-compare`: one benchmark against two git revisions in one sitting. Each revision is exported
// into .state/bench-compare/<sha>/ and built there (npm install over a copy of this tree's node_modules,
// generate, tsc -b, its own migrated template database); then the runs alternate base, head, base, head...
// with the same environment, one at a time (they share the machine's cores), and the table gives each
// figure for both with the ratio. Environment: BENCH (a substring of the benchmark's path), BASE, HEAD
// (default HEAD), RUNS (default 3), FIGURES (show only figures whose name contains it); everything else,
// such as FULL_STACK_RATES, reaches the benchmark unchanged.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as readline from 'node:readline';
import { benchFiles } from './bench-files';
import { benchFigures, type Figure } from './figures';
import { compareRuns, renderTable } from './table';

const root = join(__dirname, '..', '..', '..', '..');
const STATE = join(root, '.state', 'bench-compare');

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function run(cmd: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...options });
  if (result.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stderr ?? ''}`,
    );
  }
  return String(result.stdout ?? '').trim();
}

const say = (line: string) => console.log(`\x1b[1m[bench-compare]\x1b[0m ${line}`);

interface Revision {
  readonly label: 'base' | 'head';
  readonly rev: string;
  readonly sha: string;
  readonly dir: string;
  readonly bench: string;
  readonly templateDb: string;
}

/** The one benchmark whose path contains `filter`, in either layout. */
function locateBench(dir: string, filter: string): string {
  const found = benchFiles(dir, filter);
  if (found.length !== 1) {
    throw new UsageError(
      `BENCH=${filter} matches ${found.length ? found.join(', ') : 'no benchmark'} in ${relative(root, dir) || '.'}`,
    );
  }
  return found[0]!;
}

/** Exports the revision and builds it, once: a later comparison of the same sha reuses the tree. */
function prepare(label: 'base' | 'head', rev: string, filter: string): Revision {
  const sha = run('git', ['rev-parse', '--verify', `${rev}^{commit}`]);
  const dir = join(STATE, sha);
  const templateDb = `callctl_bench_${sha.slice(0, 12)}`;
  const stamp = join(dir, '.prepared');
  if (!existsSync(stamp)) {
    say(`${label} ${rev} (${sha.slice(0, 12)}): exporting and building in ${relative(root, dir)}`);
    mkdirSync(dir, { recursive: true });
    // An export rather than `git worktree add`: nothing is registered in the repository shared with
    // other checkouts, and nothing needs pruning when .state is removed.
    run('bash', ['-c', `git archive ${sha} | tar -x -C "${dir}"`]);
    // node_modules of this tree as a start (its workspace links are relative, so they point into the
    // copy), then what this revision's lockfile says.
    if (existsSync(join(root, 'node_modules'))) run('cp', ['-a', join(root, 'node_modules'), dir]);
    const inDir = { cwd: dir, stdio: 'inherit' as const };
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], inDir);
    run('npm', ['run', '-s', 'generate'], {
      ...inDir,
      env: { ...process.env, DATABASE_URL: 'postgres://unused@127.0.0.1/unused' },
    });
    run('npx', ['tsc', '-b'], inDir);
    migrateTemplate(dir, templateDb);
    writeFileSync(stamp, `${new Date().toISOString()}\n`);
  }
  return { label, rev, sha, dir, bench: locateBench(dir, filter), templateDb };
}

/** The revision's own migrations in a template database of its own, so each runs on its schema. */
function migrateTemplate(dir: string, templateDb: string): void {
  const admin = process.env.CALLCTL_TEST_ADMIN_URL;
  if (!admin) throw new UsageError('CALLCTL_TEST_ADMIN_URL is not set: run through `make bench-compare`');
  run('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${templateDb}`]);
  run('psql', [admin, '-qc', `CREATE DATABASE ${templateDb}`]);
  const url = new URL(admin);
  url.pathname = `/${templateDb}`;
  run('npm', ['run', '-s', 'migrate:deploy'], {
    cwd: join(dir, 'libs', 'db'),
    env: { ...process.env, DATABASE_URL: url.toString() },
  });
}

/** One run of the benchmark in the revision's tree; its output is shown live and kept. */
function runOnce(revision: Revision, index: number, runs: number): Promise<string> {
  const tag = `${revision.label} ${index + 1}/${runs}`;
  say(`${tag}: ${revision.bench} at ${revision.sha.slice(0, 12)}`);
  // node --import tsx, as `make bench` runs it: one process, so Ctrl-C reaches the benchmark itself.
  const child = spawn(process.execPath, ['--import', 'tsx', revision.bench], {
    cwd: revision.dir,
    env: { ...process.env, CALLCTL_TEST_TEMPLATE_DB: revision.templateDb },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      console.log(`  ${tag.padEnd(9)}│ ${line}`);
    });
  }
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      if (code !== 0) say(`${tag}: the benchmark exited ${code ?? signal}; its figures count as printed`);
      const text = lines.join('\n');
      writeFileSync(join(STATE, 'runs', `${Date.now()}-${revision.label}-${index + 1}.log`), `${text}\n`);
      resolve(text);
    }),
  );
}

async function main(): Promise<void> {
  const filter = process.env.BENCH ?? '';
  const baseRev = process.env.BASE ?? '';
  const headRev = process.env.HEAD || 'HEAD';
  const runs = Number(process.env.RUNS ?? 3);
  if (!filter || !baseRev)
    throw new UsageError('usage: make bench-compare BENCH=<name> BASE=<rev> [HEAD=<rev>] [RUNS=3]');
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`RUNS=${process.env.RUNS} is not a count`);
  mkdirSync(join(STATE, 'runs'), { recursive: true });
  const base = prepare('base', baseRev, filter);
  const head = prepare('head', headRev, filter);
  const outputs: Record<'base' | 'head', Figure[][]> = { base: [], head: [] };
  for (let i = 0; i < runs; i++) {
    for (const revision of [base, head]) {
      outputs[revision.label].push(benchFigures(revision.bench, await runOnce(revision, i, runs)));
    }
  }
  const only = process.env.FIGURES ?? '';
  const rows = compareRuns(outputs.base, outputs.head).filter((row) => row.name.includes(only));
  console.log(
    `\n${head.bench} (base ${base.bench === head.bench ? 'same file' : base.bench}), ${runs} run(s) each, ` +
      `alternating; median (min–max) of the runs`,
  );
  console.log(
    renderTable(
      rows,
      { base: `${baseRev} ${base.sha.slice(0, 8)}`, head: `${headRev} ${head.sha.slice(0, 8)}` },
      runs,
    ),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError ? error.message : error);
  process.exit(error instanceof UsageError ? 2 : 1);
});
