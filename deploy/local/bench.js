// `make bench`: runs every benchmark of the monorepo, one after the other (they share two cores, so never
// in parallel), and prints their figures. A benchmark is a file `libs/*/bench/*.bench.ts`,
// `services/*/bench/*.bench.ts` or `e2e/bench/*.bench.ts`; it prints its own figures and ratios and exits non-zero only when it
// could not measure. BENCH=<substring> runs only the matching files.
const { spawnSync } = require('node:child_process');
const { join, relative } = require('node:path');
// Built by `make bench` before this runs (the bench target depends on build).
const { benchFiles } = require('./dist/benchmarks/bench-files.js');

const root = join(__dirname, '..', '..');
const filter = process.env.BENCH ?? '';
const files = benchFiles(root, filter).map((file) => join(root, file));
if (files.length === 0) {
  console.error(`no benchmark matches ${JSON.stringify(filter)}`);
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${relative(root, file)}`);
  // node --import tsx, not the tsx CLI: one process, so Ctrl-C reaches the benchmark itself (the CLI's
  // signal relay SIGKILLs a child that is slow to acknowledge, before it can stop what it started).
  const run = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit', cwd: root });
  if (run.status !== 0) {
    failed++;
    console.log(`(${relative(root, file)} exited ${run.status ?? run.signal})`);
  }
}
process.exit(failed ? 1 : 0);
