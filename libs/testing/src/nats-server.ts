import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';
import { startProcess, type ManagedProcess } from './process.js';
import { waitFor } from './wait-for.js';

export interface NatsServerFixture {
  url: string;
  /** The running server process (a new one after `restart()`). */
  readonly process: ManagedProcess;
  /** Stops the server but keeps its port and JetStream store, for outage tests; `restart()` undoes it. */
  halt(): Promise<void>;
  /** Starts the server again on the same port with the same JetStream store. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  /**
   * Text of a nats-server configuration file (e.g. an `authorization { ... }` or `tls { ... }` block),
   * given with `-c`; the address, port, JetStream and store stay set by the command line.
   */
  config?: string;
}

/** A nats-server with JetStream, on 127.0.0.1 with an OS-chosen port and a temp store, for one test file. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerFixture> {
  const binary = requireBinary('nats-server', 'nats-server');
  const dir = mkdtempSync(join(tmpdir(), 'callctl-nats-'));
  const configArgs: string[] = [];
  if (options.config !== undefined) {
    writeFileSync(join(dir, 'nats.conf'), options.config);
    configArgs.push('-c', join(dir, 'nats.conf'));
  }
  const spawnServer = (port: number) =>
    startProcess(binary, [
      ...configArgs,
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-js',
      '-sd',
      join(dir, 'js'),
      '--ports_file_dir',
      dir,
    ]);
  const portsFileUrl = (proc: ManagedProcess) => {
    if (proc.child.exitCode !== null) throw new Error(`nats-server exited: ${proc.output()}`);
    // The ports file is named after the pid, so a restarted server is not mistaken for the one before.
    const file = readdirSync(dir).find((name) => name.endsWith(`_${proc.child.pid}.ports`));
    if (!file) return undefined;
    const ports = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nats?: string[] };
    return ports.nats?.[0];
  };
  let proc = spawnServer(-1);
  try {
    const url = await waitFor('nats-server ports file', () => portsFileUrl(proc), 10_000);
    const port = Number(new URL(url).port);
    return {
      url,
      get process() {
        return proc;
      },
      halt: () => proc.stop(),
      restart: async () => {
        await proc.stop();
        proc = spawnServer(port);
        await waitFor('nats-server listening again', () => portsFileUrl(proc), 10_000);
      },
      stop: async () => {
        await proc.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
