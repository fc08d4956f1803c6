// Opens RTP sockets on ports of a configured range (what a firewall or a NetworkPolicy lets rtpengine
// reach), going round the range from where the last one was taken so a port just closed is not reused at
// once (late packets of the old user would land in the new one). A range of 0..0 lets the OS pick (tests,
// benches). The mixer's participants and the stream gateway's forks both take their ports here.
import { NoFreeRtpPortError } from './errors.js';
import { RtpSocket, type RtpPacketHandler } from './rtp-socket.js';

export interface RtpPortRangeOptions {
  host: string;
  min: number;
  max: number;
}

/** A socket on the next free port of the range; NoFreeRtpPortError when every port is taken. */
export type OpenRtpSocket = (onPacket: RtpPacketHandler) => Promise<RtpSocket>;

export function rtpPortRange(options: RtpPortRangeOptions): OpenRtpSocket {
  const size = options.max - options.min + 1;
  let next = 0;
  return async (onPacket) => {
    for (let attempt = 0; attempt < size; attempt++) {
      const port = options.min === 0 ? 0 : options.min + ((next + attempt) % size);
      try {
        const socket = await RtpSocket.open(onPacket, { host: options.host, port });
        next = (next + attempt + 1) % size;
        return socket;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.min === 0) throw error;
      }
    }
    throw new NoFreeRtpPortError(`no free UDP port in ${options.min}-${options.max}`, {
      min: options.min,
      max: options.max,
    });
  };
}
