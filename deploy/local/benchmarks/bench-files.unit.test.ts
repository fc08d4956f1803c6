import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchFiles } from './bench-files';

describe('bench files', () => {
  let root: string;
  const touch = (path: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), '');
  };
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'bench-files-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds benchmarks of libs, services and e2e, in that order, and nothing else', () => {
    touch('e2e/bench/full-stack.bench.ts');
    touch('e2e/bench/answering-app.ts');
    touch('services/sip-engine/bench/sip-engine.bench.ts');
    touch('libs/sip/bench/parser.bench.ts');
    touch('libs/sip/src/parser.ts');
    expect(benchFiles(root)).toEqual([
      'libs/sip/bench/parser.bench.ts',
      'services/sip-engine/bench/sip-engine.bench.ts',
      'e2e/bench/full-stack.bench.ts',
    ]);
  });

  it('finds the full-stack benchmark where it was before e2e/ existed', () => {
    touch('services/sip-edge/bench/full-stack.bench.ts');
    touch('services/sip-engine/bench/sip-engine.bench.ts');
    expect(benchFiles(root, 'full-stack')).toEqual(['services/sip-edge/bench/full-stack.bench.ts']);
  });
});
