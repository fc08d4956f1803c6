// `make bench`: runs every benchmark of the monorepo, one after the other (they share two cores, so never
// in parallel), and prints their figures. A benchmark is a file `libs/*/bench/*.bench.ts`,
// `services/*/bench/*.bench.ts` or `e2e/bench/*.bench.ts`; it prints its own figures and ratios and exits non-zero only when it
// could not measure. BENCH=<substring> runs only the matching files.
const { spawnSync } = require('node:child_process');
const { readdirSync, existsSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..', '..');
const filter = process.env.BENCH ?? '';
const files = [];
// Each package's bench/ folder: libs/*, services/* and the platform's e2e/ (the full-stack benchmark).
const packages = ['libs', 'services']
  .flatMap((group) => readdirSync(join(root, group)).map((pkg) => join(group, pkg)))
  .concat('e2e');
for (const pkg of packages) {
  const dir = join(root, pkg, 'bench');
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir).sort()) {
    if (file.endsWith('.bench.ts') && join(pkg, file).includes(filter)) files.push(join(dir, file));
  }
}
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
