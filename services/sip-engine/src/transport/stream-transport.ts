// What the TCP and TLS transports share beyond their connection table: a bound listener, the advertised
// address, and the SipTransport methods, all served by StreamConnections. Each subclass brings only how a
// connection is accepted and dialled (a bare socket, or one with a TLS handshake).
import type { Server, Socket } from 'node:net';
import type { StreamConnections } from './stream-connections.js';
import type { Peer, SipTransport } from './transport.js';

export abstract class StreamTransport<S extends Socket> implements SipTransport {
  abstract readonly protocol: 'tcp' | 'tls';
  readonly reliable = true;
  readonly advertised: Peer | undefined;
  protected abstract readonly connections: StreamConnections<S>;

  protected constructor(
    private readonly server: Server,
    readonly local: Peer,
    advertisedHost: string | undefined,
  ) {
    this.advertised = advertisedHost ? { address: advertisedHost, port: local.port } : undefined;
  }

  send(data: Buffer, to: Peer): Promise<void> {
    return this.connections.send(data, to);
  }

  isConnected(peer: Peer): boolean {
    return this.connections.isConnected(peer);
  }

  alias(sentBy: Peer, remote: Peer): void {
    this.connections.alias(sentBy, remote);
  }

  pin(peer: Peer): (() => void) | undefined {
    return this.connections.pin(peer);
  }

  async close(): Promise<void> {
    this.connections.destroyAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Starts a TCP, TLS or HTTP(S) listener and says where it is bound (port 0: the one the system chose). */
export async function listenOn(server: Server, host: string, port: number, label: string): Promise<Peer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error(`${label} listener has no address`);
  return { address: bound.address, port: bound.port };
}
