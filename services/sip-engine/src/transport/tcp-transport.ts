import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '@callctl/logging';
import { StreamConnections, type StreamLimits } from './stream-connections.js';
import type { InboundHandler, Peer, SipTransport } from './transport.js';

export interface TcpTransportOptions extends StreamLimits {
  host: string;
  /** 0 = any free port. */
  port: number;
  log: Logger;
  onMessage: InboundHandler;
  /** Host to announce instead of the bound address (see SipTransport.advertised). */
  advertisedHost?: string;
}

export {
  DEFAULT_STREAM_IDLE_TIMEOUT_MS as DEFAULT_TCP_IDLE_TIMEOUT_MS,
  DEFAULT_STREAM_MAX_CONNECTIONS_PER_ADDRESS as DEFAULT_TCP_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_STREAM_MESSAGE_TIMEOUT_MS as DEFAULT_TCP_MESSAGE_TIMEOUT_MS,
} from './stream-connections.js';

/** SIP over TCP: a plain listener and dialler around the shared stream connection table. */
export class TcpTransport implements SipTransport {
  readonly protocol = 'tcp';
  readonly reliable = true;
  advertised: Peer | undefined;
  private readonly connections: StreamConnections<Socket>;

  private constructor(
    private readonly server: Server,
    readonly local: Peer,
    options: TcpTransportOptions,
  ) {
    this.connections = new StreamConnections<Socket>({
      ...options,
      label: 'tcp',
      transport: this,
      dial: dialTcp,
    });
  }

  static async listen(options: TcpTransportOptions): Promise<TcpTransport> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
    const bound = server.address();
    if (bound === null || typeof bound === 'string') throw new Error('tcp listener has no address');
    const transport = new TcpTransport(server, { address: bound.address, port: bound.port }, options);
    if (options.advertisedHost) transport.advertised = { address: options.advertisedHost, port: bound.port };
    server.on('connection', (socket) => {
      if (transport.connections.admit(socket)) transport.connections.adopt(socket);
    });
    return transport;
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

function dialTcp(to: Peer): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host: to.address, port: to.port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}
