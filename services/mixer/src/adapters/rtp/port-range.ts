// Opens a participant's UDP socket on a port of MIXER_RTP_PORT_MIN..MAX (libs/rtp rtpPortRange: round the
// range, a port just closed not reused at once; 0..0 lets the OS pick) and hands the app its RtpPort.
import { rtpPortRange, type RtpPortRangeOptions, type RtpSocket } from '@callctl/rtp';
import type { OpenRtpPort, RtpPort } from '../../app/ports.js';

export type PortRangeOptions = RtpPortRangeOptions;

export function portRange(options: PortRangeOptions): OpenRtpPort {
  const open = rtpPortRange(options);
  return async (onPacket) => rtpPort(await open(onPacket));
}

function rtpPort(socket: RtpSocket): RtpPort {
  return {
    port: socket.address.port,
    send: (packet, port, address, onSent) => socket.send(packet, port, address, onSent),
    close: () => socket.close(),
  };
}
