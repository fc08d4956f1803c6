import { spawn, type ChildProcess } from 'node:child_process';

export interface ManagedProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after graceMs; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (crash tests). */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** Spawns a child whose output is kept in memory, and whose stop() is bounded. */
export function startProcess(
  command: string,
  args: readonly string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    /** 'pipe' for a process driven through its stdin (child.stdin); 'ignore' unless told. */
    stdin?: 'ignore' | 'pipe';
  } = {},
): ManagedProcess {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  let size = 0;
  const keep = (chunk: Buffer) => {
    // Bounded: a chatty process must not grow the test runner's memory without limit.
    if (size > 4 * 1024 * 1024) return;
    size += chunk.length;
    chunks.push(chunk.toString('utf8'));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (error) => {
      chunks.push(String(error));
      resolve(null);
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    output: () => chunks.join(''),
    exited,
    stop: async (graceMs = 3000) => {
      if (!alive()) return void (await exited);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    kill: async () => {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
  };
}
