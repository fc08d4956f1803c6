import { connect, createServer, type Server, type Socket } from 'node:net';
import { StreamConnections, type StreamLimits } from './stream-connections.js';
import { listenOn, StreamTransport } from './stream-transport.js';
import type { ListenerOptions, Peer } from './transport.js';

export interface TcpTransportOptions extends ListenerOptions, StreamLimits {}

export {
  DEFAULT_STREAM_IDLE_TIMEOUT_MS as DEFAULT_TCP_IDLE_TIMEOUT_MS,
  DEFAULT_STREAM_MAX_CONNECTIONS_PER_ADDRESS as DEFAULT_TCP_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_STREAM_MESSAGE_TIMEOUT_MS as DEFAULT_TCP_MESSAGE_TIMEOUT_MS,
} from './stream-connections.js';

/** SIP over TCP: a plain listener and dialler around the shared stream connection table. */
export class TcpTransport extends StreamTransport<Socket> {
  readonly protocol = 'tcp';
  protected readonly connections: StreamConnections<Socket>;

  private constructor(server: Server, local: Peer, options: TcpTransportOptions) {
    super(server, local, options.advertisedHost);
    this.connections = new StreamConnections<Socket>({
      ...options,
      label: 'tcp',
      transport: this,
      dial: dialTcp,
    });
  }

  static async listen(options: TcpTransportOptions): Promise<TcpTransport> {
    const server = createServer();
    const transport = new TcpTransport(
      server,
      await listenOn(server, options.host, options.port, 'tcp'),
      options,
    );
    server.on('connection', (socket) => {
      if (transport.connections.admit(socket)) transport.connections.adopt(socket);
    });
    return transport;
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
