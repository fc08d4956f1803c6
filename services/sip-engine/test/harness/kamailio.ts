// A real Kamailio on 127.0.0.1 (UDP) with a configuration of the caller's, in a temp folder of its own: the
// record-routing proxy of the e2e tests and the benchmark's reference relay both start it here.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cpuMs,
  freePort,
  isBound,
  requireBinary,
  startProcess,
  waitFor,
  type ManagedProcess,
} from '@callctl/testing';

const MODULE_DIRS = [
  '/usr/lib/x86_64-linux-gnu/kamailio/modules',
  '/usr/lib/aarch64-linux-gnu/kamailio/modules',
  '/usr/lib/kamailio/modules',
];
const START_TIMEOUT_MS = 10_000;

/** What a configuration needs to know about where it runs. */
export interface KamailioSite {
  /** UDP port on 127.0.0.1 to listen on. */
  port: number;
  /** Folder of Kamailio's modules (with tm.so). */
  modules: string;
  /** Temp folder of this instance (rundir), removed on stop. */
  dir: string;
}

export interface KamailioProcess {
  port: number;
  process: ManagedProcess;
  /** CPU time in ms of the main process and every process it forked (workers, timers). */
  cpuMs(): number;
  stop(): Promise<void>;
}

/**
 * Starts Kamailio in the foreground (`-DD -E`) with `config(site)` as its configuration and `args` added
 * (memory, allocator, socket buffers), and resolves once it is bound; a bad configuration fails with its log.
 */
export async function startKamailio(
  config: (site: KamailioSite) => string,
  args: readonly string[] = ['-m', '64', '-M', '8'],
): Promise<KamailioProcess> {
  const binary = requireBinary('kamailio', 'kamailio');
  const modules = MODULE_DIRS.find((dir) => existsSync(join(dir, 'tm.so')));
  if (!modules) throw new Error(`kamailio modules (tm.so) not found in ${MODULE_DIRS.join(', ')}`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const file = join(dir, 'kamailio.cfg');
  writeFileSync(file, config({ port, modules, dir }));
  const proc = startProcess(binary, ['-DD', '-E', ...args, '-f', file]);
  const ready = await waitFor(
    `kamailio on udp 127.0.0.1:${port}`,
    // An exit ends the wait at once (a bad config is reported in its output).
    () => (proc.child.exitCode !== null ? 'exited' : isBound('udp', port) && 'ready'),
    START_TIMEOUT_MS,
    50,
  ).catch((error: unknown) => String(error));
  if (ready !== 'ready') {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kamailio did not start (${ready}):\n${proc.output().slice(-3000)}`);
  }
  const pid = proc.child.pid ?? -1;
  return {
    port,
    process: proc,
    cpuMs: () => [pid, ...childrenOf(pid)].reduce((sum, each) => sum + cpuMs(each), 0),
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PIDs whose parent is `pid` (Kamailio forks its workers from the main process), from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // Field 4 of stat is the parent PID; the command name before it is in parentheses.
        return Number(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}
