// The library's one I/O module: a UDP socket that receives RTP (e.g. a fork from rtpengine's `subscribe
// answer`) and hands each parsed packet, with its arrival time, to the consumer. Malformed datagrams are
// counted, not thrown: a stray datagram must not stop a recording.
import { createSocket, type Socket } from 'node:dgram';
import { MalformedRtpPacketError } from './errors.js';
import { parseRtpPacket, type RtpPacket } from './rtp-packet.js';

export interface RtpSocketOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: the OS picks a free port. */
  port?: number;
  /** Arrival times (ms); default performance.now(), the same monotonic clock as MediaClock's default. */
  now?: () => number;
}

/** Where a datagram came from: what a symmetric-RTP party latches onto. */
export interface RtpSource {
  address: string;
  port: number;
}

export type RtpPacketHandler = (packet: RtpPacket, arrivedAtMs: number, source: RtpSource) => void;

export class RtpSocket {
  /** Datagrams that were not RTP. */
  malformed = 0;

  private constructor(
    private readonly socket: Socket,
    onPacket: RtpPacketHandler,
    now: () => number,
  ) {
    socket.on('message', (datagram: Buffer, source: RtpSource) => {
      let packet: RtpPacket;
      try {
        packet = parseRtpPacket(datagram);
      } catch (error) {
        if (error instanceof MalformedRtpPacketError) {
          this.malformed++;
          return;
        }
        throw error;
      }
      onPacket(packet, now(), source);
    });
  }

  static async open(
    onPacket: RtpPacketHandler,
    { host = '127.0.0.1', port = 0, now = () => performance.now() }: RtpSocketOptions = {},
  ): Promise<RtpSocket> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new RtpSocket(socket, onPacket, now);
  }

  get address(): { host: string; port: number } {
    const { address, port } = this.socket.address();
    return { host: address, port };
  }

  /**
   * Sends a built packet (e.g. to keep a NAT binding, or a mixer's output). Node sends after the address is
   * looked up, not within this call: a sender that reuses `packet` must wait for `onSent` before writing
   * into it again.
   */
  send(packet: Uint8Array, port: number, host: string, onSent?: () => void): void {
    if (onSent) this.socket.send(packet, port, host, onSent);
    else this.socket.send(packet, port, host);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}
