// Faults a test injects into the processes it started itself (never into the shared stack): a paused or
// killed nats-server, a cut between the orchestrator and PostgreSQL (a TCP proxy the test owns in front
// of its database: the stack's cluster is shared and must not be stopped), a killed rtpengine restarted
// on its own ports.
import { createServer, connect, type Server, type Socket } from 'node:net';
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
  port: number;
  /** Closes every connection and refuses new ones (connection refused), as a stopped server does. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  stop(): Promise<void>;
}

const listen = (server: Server, port: number) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

/** A loopback TCP proxy to host:port whose link the test can cut and restore. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server;
  const open = async (port: number) => {
    server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined); // a cut link; the other side is destroyed with it
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await listen(server, port);
    const address = server.address();
    return typeof address === 'object' && address ? address.port : port;
  };
  const close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  const port = await open(0);
  return { port, cut: close, restore: async () => void (await open(port)), stop: close };
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
