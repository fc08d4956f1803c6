import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The built call-orchestrator's entry point (build first), for tests against the real process. */
export const ORCHESTRATOR = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'services',
  'call-orchestrator',
  'dist',
  'src',
  'main.js',
);

/** The executable npm links as `callctl` (it runs dist/src/main.js: build first). */
export const CALLCTL = join(__dirname, '..', '..', 'bin', 'callctl.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `callctl <args>` to its end with only PATH and `env` in its environment. */
export function runCallctl(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [CALLCTL, ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 20_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    ),
  );
}
