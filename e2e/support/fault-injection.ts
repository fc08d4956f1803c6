// Faults a test injects into the processes it started itself (never into the shared stack): a paused or
// killed nats-server, a cut between the orchestrator and PostgreSQL (a TCP proxy the test owns in front
// of its database: the stack's cluster is shared and must not be stopped), a killed rtpengine restarted
// on its own ports.
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import {
  startProcess,
  waitFor,
  type ManagedProcess,
  type NatsServerFixture,
  type RtpengineFixture,
} from '@callctl/testing';

/** SIGSTOP: the process keeps its sockets but answers nothing, as a stalled server does. */
export function pause(process: ManagedProcess): void {
  process.child.kill('SIGSTOP');
}

export function resume(process: ManagedProcess): void {
  process.child.kill('SIGCONT');
}

/** SIGKILL of nats-server; `restart()` of the fixture later starts it on the same port and store. */
export async function killNats(nats: NatsServerFixture): Promise<void> {
  await nats.process.kill();
}

export interface TcpProxy {
  /** Where clients connect instead of the target. */
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's (a postgres:// URL through the proxy). */
  via(url: string): string;
  /** Resets every connection and every new one until `restore()`, as a server that went away. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy to host:port whose link the test can cut and restore: the target keeps running for
 * everyone else (the stack's PostgreSQL is shared).
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) return void client.resetAndDestroy();
    const upstream = connect(target.port, target.host);
    const pair = [client, upstream];
    for (const socket of pair) {
      open.add(socket);
      socket.on('error', () => undefined); // a cut link: both sides go
      socket.on('close', () => {
        open.delete(socket);
        for (const other of pair) if (!other.destroyed) other.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    via: (url) => {
      const proxied = new URL(url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(port);
      return proxied.toString();
    },
    cut: () => {
      down = true;
      for (const socket of open) socket.resetAndDestroy();
    },
    restore: () => {
      down = false;
    },
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** rtpengine again with the arguments it had (same ng and media ports), after a SIGKILL. */
export async function killAndRestartRtpengine(
  rtpengine: RtpengineFixture,
  downMs: number,
): Promise<ManagedProcess> {
  const { spawnfile, spawnargs } = rtpengine.process.child;
  await rtpengine.process.kill();
  await new Promise((resolve) => setTimeout(resolve, downMs));
  const proc = startProcess(spawnfile, spawnargs.slice(1));
  await waitFor(
    'rtpengine back on its ng port',
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`rtpengine exited: ${proc.output()}`);
      return (await rtpengine.listCalls().catch(() => undefined)) !== undefined;
    },
    10_000,
    100,
  );
  return proc;
}
