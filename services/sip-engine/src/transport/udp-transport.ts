import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { ListenerOptions, Peer, SipTransport } from './transport.js';

export interface UdpTransportOptions extends ListenerOptions {
  /**
   * Kernel receive buffer (SO_RCVBUF) in bytes; the kernel caps it at net.core.rmem_max. The default
   * (~208 KB, a few hundred datagrams) overflows in bursts while the event loop is busy, and a dropped 200
   * becomes a retransmitted INVITE: at a few hundred calls/s the engine lost datagrams at 55-70 % CPU.
   * 0 = leave the kernel default.
   */
  receiveBufferBytes?: number;
  /** SO_SNDBUF in bytes; 0 = the kernel default. */
  sendBufferBytes?: number;
}

/** SIP over UDP: one datagram is one message. Keep-alive CRLFs (RFC 5626) and empty datagrams are dropped. */
export class UdpTransport implements SipTransport {
  readonly protocol = 'udp';
  readonly reliable = false;
  advertised: Peer | undefined;
  private constructor(
    private readonly socket: Socket,
    readonly local: Peer,
  ) {}

  static async listen(options: UdpTransportOptions): Promise<UdpTransport> {
    const socket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4', reuseAddr: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port, options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // Set after bind: the socket must exist in the kernel first.
    if (options.receiveBufferBytes) socket.setRecvBufferSize(options.receiveBufferBytes);
    if (options.sendBufferBytes) socket.setSendBufferSize(options.sendBufferBytes);
    const bound = socket.address();
    const transport = new UdpTransport(socket, { address: bound.address, port: bound.port });
    if (options.advertisedHost) transport.advertised = { address: options.advertisedHost, port: bound.port };
    // A send failure (e.g. ICMP unreachable surfaced as an error) must never take the process down.
    socket.on('error', (err) => options.log.warn({ err }, 'udp socket error'));
    socket.on('message', (data, rinfo) => {
      if (data.length === 0 || isKeepAlive(data)) return;
      options.onMessage({ data, remote: { address: rinfo.address, port: rinfo.port }, transport });
    });
    return transport;
  }

  send(data: Buffer, to: Peer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(data, to.port, to.address, (err) => (err ? reject(err) : resolve())),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

function isKeepAlive(data: Buffer): boolean {
  for (const byte of data) if (byte !== 0x0d && byte !== 0x0a) return false;
  return true;
}
