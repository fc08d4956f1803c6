// A real Kamailio (the Debian package) on 127.0.0.1 with a configuration of the caller's, in a temp folder of
// its own: the sip-engine's record-routing proxy and benchmark relay, and the provider, gateway and
// registering-device peers of kamailio-peers.ts all start it here. Foreground (`-DD -E`), bounded start,
// everything it wrote removed on stop.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs } from './bench-measures.js';
import { requireBinary } from './binaries.js';
import { freePort, isBound } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { waitFor } from './wait-for.js';

const MODULE_DIRS = [
  '/usr/lib/x86_64-linux-gnu/kamailio/modules',
  '/usr/lib/aarch64-linux-gnu/kamailio/modules',
  '/usr/lib/kamailio/modules',
];
const START_TIMEOUT_MS = 10_000;
const RPC_TIMEOUT_MS = 5000;

/** What a configuration needs to know about where it runs. */
export interface KamailioSite {
  /** UDP (and TCP, when the configuration listens on it) port on 127.0.0.1. */
  port: number;
  /** Folder of Kamailio's modules (with tm.so). */
  modules: string;
  /** Temp folder of this instance (rundir, db_text tables), removed on stop. */
  dir: string;
  /**
   * The binrpc socket for `rpc()`: a configuration that loads ctl.so sets
   * `modparam("ctl", "binrpc", "unix:<ctlSocket>")`.
   */
  ctlSocket: string;
}

export interface KamailioProcess {
  port: number;
  dir: string;
  process: ManagedProcess;
  /** CPU time in ms of the main process and every process it forked (workers, timers). */
  cpuMs(): number;
  /** A kamcmd command over the ctl socket (the configuration must load ctl.so); its output as text. */
  rpc(command: string, ...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts Kamailio in the foreground (`-DD -E`) with `config(site)` as its configuration and `args` added
 * (memory, allocator, socket buffers), and resolves once it is bound; a bad configuration fails with its log.
 * `files` are written into the site's folder first (db_text tables), by name relative to it.
 */
export async function startKamailio(
  config: (site: KamailioSite) => string,
  args: readonly string[] = ['-m', '64', '-M', '8'],
  files: (site: KamailioSite) => Record<string, string> = () => ({}),
): Promise<KamailioProcess> {
  const binary = requireBinary('kamailio', 'kamailio');
  const modules = MODULE_DIRS.find((dir) => existsSync(join(dir, 'tm.so')));
  if (!modules) throw new Error(`kamailio modules (tm.so) not found in ${MODULE_DIRS.join(', ')}`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'kamailio-'));
  const site: KamailioSite = { port, modules, dir, ctlSocket: join(dir, 'ctl.sock') };
  for (const [name, text] of Object.entries(files(site))) writeFileSync(join(dir, name), text);
  const file = join(dir, 'kamailio.cfg');
  writeFileSync(file, config(site));
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
    dir,
    process: proc,
    cpuMs: () => [pid, ...childrenOf(pid)].reduce((sum, each) => sum + cpuMs(each), 0),
    rpc: (command, ...rest) => kamcmd(site.ctlSocket, [command, ...rest]),
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function kamcmd(socket: string, args: string[]): Promise<string> {
  const binary = requireBinary('kamcmd', 'kamailio');
  return new Promise((resolve, reject) =>
    execFile(
      binary,
      ['-s', `unix:${socket}`, ...args],
      { timeout: RPC_TIMEOUT_MS },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`kamcmd ${args.join(' ')} failed: ${stderr || error.message}`))
          : resolve(stdout),
    ),
  );
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
