// Where the monorepo's benchmarks are: `libs/*/bench`, `services/*/bench` and `e2e/bench` (the full-stack
// benchmark, which lived in services/sip-edge/bench before e2e/ existed). `make bench` runs them and
// `make bench-compare` finds one in each revision's tree, so both read the same layout from here.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The `*.bench.ts` files under `root` whose path (relative to it) contains `filter`, sorted. */
export function benchFiles(root: string, filter = ''): string[] {
  const packages = ['libs', 'services']
    .filter((group) => existsSync(join(root, group)))
    .flatMap((group) => readdirSync(join(root, group)).map((pkg) => join(group, pkg)))
    .concat('e2e');
  const found: string[] = [];
  for (const pkg of packages) {
    const dir = join(root, pkg, 'bench');
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      const path = join(pkg, 'bench', file);
      if (file.endsWith('.bench.ts') && path.includes(filter)) found.push(path);
    }
  }
  return found;
}
