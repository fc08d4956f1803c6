// The parties of the recorder benchmark, in their own process so that their CPU is not the recorder's: a
// 20 ms PCMU packet to every port given, every 20 ms, each port its own SSRC, until killed.
import { createSocket } from 'node:dgram';
import { buildRtpPacket, encodeMulaw } from '@callctl/rtp';

const ports = process.argv.slice(2).map(Number);
const payload = encodeMulaw(
  Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 8000))),
);
const socket = createSocket('udp4');
socket.bind(0, '127.0.0.1', () => {
  const start = performance.now();
  let sent = 0;
  const tick = () => {
    const due = Math.floor((performance.now() - start) / 20) + 1;
    for (; sent < due; sent++)
      ports.forEach((port, i) => {
        const packet = buildRtpPacket(
          {
            payloadType: 0,
            marker: false,
            sequence: sent & 0xffff,
            timestamp: (sent * 160) >>> 0,
            ssrc: 1000 + i,
          },
          payload,
        );
        socket.send(packet, port, '127.0.0.1');
      });
    setTimeout(tick, Math.max(0, start + sent * 20 - performance.now()));
  };
  tick();
  process.stdout.write('sending\n');
});
