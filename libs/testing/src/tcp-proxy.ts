import net from 'node:net';

export interface TcpProxy {
  /** The loopback port the proxy listens on; connections are piped to the target. */
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's (a postgres:// URL through the proxy). */
  via(url: string): string;
  /**
   * An outage of the target as its clients see it: every open connection is reset and every new one is
   * closed at once, until `restore()`. The target itself keeps running for everyone else.
   */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL, NATS), so that one test can take the
 * server away from the component under test without stopping it for the other tests sharing it.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) return void client.resetAndDestroy();
    const upstream = net.connect(target.port, target.host);
    const pair = [client, upstream];
    for (const socket of pair) {
      open.add(socket);
      socket.on('error', () => undefined);
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
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    via: (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
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
