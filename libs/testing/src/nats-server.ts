import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from './binaries.js';
import { startProcess, type ManagedProcess } from './process.js';
import { waitFor } from './wait-for.js';

export interface NatsServerFixture {
  url: string;
  process: ManagedProcess;
  stop(): Promise<void>;
}

/** A nats-server with JetStream, on 127.0.0.1 with an OS-chosen port and a temp store, for one test file. */
export async function startNatsServer(): Promise<NatsServerFixture> {
  const binary = requireBinary('nats-server', 'nats-server');
  const dir = mkdtempSync(join(tmpdir(), 'callctl-nats-'));
  const proc = startProcess(binary, [
    '-a',
    '127.0.0.1',
    '-p',
    '-1',
    '-js',
    '-sd',
    join(dir, 'js'),
    '--ports_file_dir',
    dir,
  ]);
  try {
    const url = await waitFor(
      'nats-server ports file',
      () => {
        if (proc.child.exitCode !== null) throw new Error(`nats-server exited: ${proc.output()}`);
        const file = readdirSync(dir).find((name) => name.endsWith('.ports'));
        if (!file) return undefined;
        const ports = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nats?: string[] };
        return ports.nats?.[0];
      },
      10_000,
    );
    return {
      url,
      process: proc,
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
