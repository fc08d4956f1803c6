// Nothing the benchmark started may outlive it: on Ctrl-C or SIGTERM the platform is stopped in order (its
// test database is dropped), and whatever child is still alive then, or when the process exits for any
// other reason, is SIGKILLed. Children are found in /proc by parent pid, so this also covers the
// processes of a step that was interrupted half-way (a sipp run, an engine of the engine-only case).
import { readdirSync, readFileSync } from 'node:fs';

const GRACEFUL_STOP_MS = 15_000;

/** Pids of this process's live children (direct ones: every fixture and service is a direct child). */
function childPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function killChildren(): void {
  for (const pid of childPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * Installs the handlers; `stop` is the graceful part (given at most GRACEFUL_STOP_MS). A second signal
 * while stopping (Ctrl-C pressed again, or relayed by a wrapper) is ignored rather than left to Node's
 * default, which would exit at once and skip the cleanup.
 */
export function cleanUpOnExit(stop: () => Promise<void>): void {
  process.on('exit', killChildren);
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${signal}: stopping the platform`);
      const timer = new Promise((resolve) => setTimeout(resolve, GRACEFUL_STOP_MS));
      void Promise.race([stop().catch(() => undefined), timer]).finally(() => {
        killChildren();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      });
    });
  }
}

/**
 * Runs a benchmark's `main` under cleanUpOnExit(stop), then `stop`; an error is printed and, after `stop`,
 * exits 1 (the benchmark could not measure).
 */
export function runBenchmark(main: () => Promise<void>, stop: () => Promise<void>): void {
  cleanUpOnExit(stop);
  main()
    .then(stop)
    .catch(async (error: unknown) => {
      console.error(error);
      await stop().catch(() => undefined);
      process.exit(1);
    });
}
