import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, isBound, startProcess, waitFor, type ManagedProcess } from '@callctl/testing';

const DIST = join(__dirname, '..', '..', 'dist');
/** The built engine: `make test` and `make bench` run `tsc -b` first. */
export const ENGINE_MAIN = join(DIST, 'src', 'main.js');
const TSX = join(__dirname, '..', '..', '..', '..', 'node_modules', '.bin', 'tsx');
const SECRET = 'harness-secret';

export interface EngineProcess {
  /** SIP port, the same number on UDP and TCP, on 127.0.0.1. */
  sipPort: number;
  /** `host:port` of the admin (drachtio control protocol) listener. */
  admin: string;
  secret: string;
  process: ManagedProcess;
  pid: number;
  /** Resident set size from /proc/<pid>/status, in KiB. */
  rssKb(): number;
  stop(): Promise<void>;
}

export interface EngineOptions {
  /** RFC 3261 T1 in ms (every other SIP timer scales from it). @default the engine's own (500) */
  t1Ms?: number;
  /** @default 'warn' */
  logLevel?: string;
  /**
   * Cap V8's old space (MiB): memory the engine keeps beyond it is an out-of-memory crash instead of a
   * slowly growing heap that V8 would only collect lazily. For the fuzz tests' bounded-memory check.
   */
  maxOldSpaceMb?: number;
  /** Extra environment (flood and spammer settings). */
  env?: NodeJS.ProcessEnv;
}

/** Starts `node dist/src/main.js` on free loopback ports and waits for it to say it is ready. */
export async function startEngine(options: EngineOptions = {}): Promise<EngineProcess> {
  if (!existsSync(ENGINE_MAIN)) {
    throw new Error(`${ENGINE_MAIN} is missing: build it first (npx tsc -b services/sip-engine)`);
  }
  const sipPort = await freePort();
  const adminPort = await freePort();
  const nodeArgs = options.maxOldSpaceMb ? [`--max-old-space-size=${options.maxOldSpaceMb}`] : [];
  const proc = startProcess(process.execPath, [...nodeArgs, ENGINE_MAIN], {
    env: {
      ...process.env,
      SIP_UDP: `127.0.0.1:${sipPort}`,
      SIP_TCP: `127.0.0.1:${sipPort}`,
      ADMIN: `127.0.0.1:${adminPort}`,
      ADMIN_SECRET: SECRET,
      LOG_LEVEL: options.logLevel ?? 'warn',
      // The fuzz tests and the benchmark send thousands of requests a second from here.
      SIP_FLOOD_EXEMPT_CIDRS: '127.0.0.1/32',
      ...(options.t1Ms !== undefined ? { SIP_T1_MS: String(options.t1Ms) } : {}),
      ...options.env,
    },
  });
  const pid = proc.child.pid ?? -1;
  try {
    // The ready line is logged at info; below that level, readiness is the admin port accepting.
    await waitFor(
      'sip-engine listening',
      () => {
        if (proc.child.exitCode !== null) throw new Error(`sip-engine exited:\n${proc.output()}`);
        return isBound('udp', sipPort) && isBound('tcp', adminPort);
      },
      15_000,
      50,
    );
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return {
    sipPort,
    admin: `127.0.0.1:${adminPort}`,
    secret: SECRET,
    process: proc,
    pid,
    rssKb: () => rssKb(pid),
    stop: () => proc.stop(),
  };
}

export interface SrfAppOptions {
  engine: EngineProcess;
  /** Extra environment (B2BUA_TARGET for the B2BUA). */
  env?: NodeJS.ProcessEnv;
  /**
   * Run the built app (dist/test/harness/*.js) with plain node instead of the source through tsx: one
   * process, no transpiler, for the benchmark. @default false
   */
  compiled?: boolean;
}

/** Starts one of the harness srf apps (`srf-uas`, `srf-b2bua`) as a child and waits until it is connected. */
export async function startSrfApp(
  app: 'srf-uas' | 'srf-b2bua' | 'srf-registrar',
  options: SrfAppOptions,
): Promise<ManagedProcess> {
  const [command, args] = options.compiled
    ? [process.execPath, [join(DIST, 'test', 'harness', `${app}.js`)]]
    : [TSX, [join(__dirname, `${app}.ts`)]];
  const proc = startProcess(command, args, {
    env: {
      ...process.env,
      ...options.env,
      ENGINE_ADMIN: options.engine.admin,
      ENGINE_SECRET: options.engine.secret,
    },
  });
  try {
    await waitFor(
      `${app} connected`,
      () => {
        if (proc.child.exitCode !== null) throw new Error(`${app} exited:\n${proc.output()}`);
        return proc.output().includes(`${app}: app ready`);
      },
      20_000,
      50,
    );
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return proc;
}

/** Path of a sipp scenario under test/sipp. */
export function scenario(name: string): string {
  return join(__dirname, '..', 'sipp', name);
}

export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}
