// Opens a participant's UDP socket on a port of MIXER_RTP_PORT_MIN..MAX (what a firewall or a
// NetworkPolicy lets rtpengine reach), going round the range from where the last one was taken so a port
// just closed is not reused at once (late packets of the old participant would land in the new one).
// A range of 0..0 lets the OS pick (tests, benches).
import { RtpSocket } from '@callctl/rtp';
import { NoFreePortError } from '../../domain/errors.js';
import type { OpenRtpPort, RtpPort } from '../../app/ports.js';

export interface PortRangeOptions {
  host: string;
  min: number;
  max: number;
}

export function portRange(options: PortRangeOptions): OpenRtpPort {
  const size = options.max - options.min + 1;
  let next = 0;
  return async (onPacket) => {
    for (let attempt = 0; attempt < size; attempt++) {
      const port = options.min === 0 ? 0 : options.min + ((next + attempt) % size);
      try {
        const socket = await RtpSocket.open(onPacket, { host: options.host, port });
        next = (next + attempt + 1) % size;
        return rtpPort(socket);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.min === 0) throw error;
      }
    }
    throw new NoFreePortError(`no free UDP port in ${options.min}-${options.max}`, {
      min: options.min,
      max: options.max,
    });
  };
}

function rtpPort(socket: RtpSocket): RtpPort {
  return {
    port: socket.address.port,
    send: (packet, port, address, onSent) => socket.send(packet, port, address, onSent),
    close: () => socket.close(),
  };
}
