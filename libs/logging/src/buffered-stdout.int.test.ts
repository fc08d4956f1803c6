// The default destination buffers lines: they must still arrive soon while the process runs, and all of
// them when it exits, whether normally or through an uncaught error.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const LOGGING = join(__dirname, '..', 'dist', 'src', 'index.js');

function runChild(script: string): { lines: () => string[]; exited: Promise<number | null>; kill(): void } {
  const child = spawn(process.execPath, [
    '-e',
    `const { createLogger } = require(${JSON.stringify(LOGGING)});\n${script}`,
  ]);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return {
    lines: () => out.split('\n').filter(Boolean),
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
    kill: () => child.kill('SIGKILL'),
  };
}

describe('logging: buffered standard output', () => {
  it('writes every line logged before a normal exit', async () => {
    const child = runChild(`const log = createLogger({ service: 't' });
      for (let i = 0; i < 5000; i++) log.info({ i }, 'line');
      process.exit(0);`);
    expect(await child.exited).toBe(0);
    const lines = child.lines();
    expect(lines).toHaveLength(5000);
    expect(JSON.parse(lines[4999]!)).toMatchObject({ service: 't', i: 4999, msg: 'line' });
  });

  it('writes every line logged before an uncaught error ends the process', async () => {
    const child = runChild(`const log = createLogger({ service: 't' });
      log.info('before'); log.fatal('about to fail');
      setTimeout(() => { throw new Error('boom'); }, 10);`);
    expect(await child.exited).not.toBe(0);
    expect(child.lines().map((l) => JSON.parse(l).msg)).toEqual(['before', 'about to fail']);
  });

  it('writes a lone line within a second while the process keeps running', async () => {
    const child = runChild(`const log = createLogger({ service: 't' });
      log.info('alone'); setInterval(() => {}, 1000);`);
    try {
      const deadline = Date.now() + 1000;
      while (child.lines().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(child.lines().map((l) => JSON.parse(l).msg)).toEqual(['alone']);
    } finally {
      child.kill();
      await child.exited;
    }
  });
});
