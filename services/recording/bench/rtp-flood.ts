// The parties of the recorder benchmarks, in their own process so that their CPU is not the recorder's: a
// 20 ms PCMU packet to every port given, every 20 ms, each port its own SSRC, until killed. A port may be
// given as `port:hz` for its own tone (1000 Hz otherwise); `from=<port>` first binds the sending socket to
// that port (the address the SDP announced, so rtpengine sends the other party's media back to it, where
// it is read and counted). Prints `sent <n> received <n> lost <n>` on SIGUSR2: sent and received since
// the start; lost since the previous report, what is missing between the first and the last sequence
// number received of each SSRC (packets still in flight are not lost, as sent - received would count).
import { createSocket } from 'node:dgram';
import { buildRtpPacket, encodeMulaw } from '@callctl/rtp';

const args = process.argv.slice(2);
const from = args[0]?.startsWith('from=') ? Number(args.shift()!.slice('from='.length)) : 0;
const targets = args.map((arg) => {
  const [port, hz] = arg.split(':');
  return { port: Number(port), hz: Number(hz ?? 1000) };
});
const payloads = new Map<number, Uint8Array>();
const payloadOf = (hz: number) => {
  let payload = payloads.get(hz);
  if (!payload) {
    // 8000 Hz sampling: a whole number of cycles per 20 ms for tones that are multiples of 50 Hz.
    payload = encodeMulaw(
      Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000))),
    );
    payloads.set(hz, payload);
  }
  return payload;
};
let packetsSent = 0;
let packetsReceived = 0;
/** Per SSRC received back: first and last sequence number and count (no wrap: 65536 packets is 22 min). */
const streams = new Map<number, { first: number; last: number; count: number }>();
const socket = createSocket('udp4');
socket.on('message', (packet: Buffer) => {
  packetsReceived++;
  if (packet.length < 12) return;
  const sequence = packet.readUInt16BE(2);
  const ssrc = packet.readUInt32BE(8);
  const stream = streams.get(ssrc);
  if (!stream) streams.set(ssrc, { first: sequence, last: sequence, count: 1 });
  else {
    stream.last = Math.max(stream.last, sequence);
    stream.count++;
  }
});
// Each report starts a new window of sequence numbers: what was lost before it is not counted again.
process.on('SIGUSR2', () => {
  let lost = 0;
  for (const { first, last, count } of streams.values()) lost += Math.max(0, last - first + 1 - count);
  streams.clear();
  process.stdout.write(`sent ${packetsSent} received ${packetsReceived} lost ${lost}\n`);
});
socket.bind(from, '127.0.0.1', () => {
  // Every party's media comes back to this one socket: room for bursts (capped by net.core.rmem_max).
  socket.setRecvBufferSize(4 * 1024 * 1024);
  const start = performance.now();
  let sent = 0;
  const tick = () => {
    const due = Math.floor((performance.now() - start) / 20) + 1;
    for (; sent < due; sent++)
      targets.forEach(({ port, hz }, i) => {
        const packet = buildRtpPacket(
          {
            payloadType: 0,
            marker: false,
            sequence: sent & 0xffff,
            timestamp: (sent * 160) >>> 0,
            ssrc: 1000 + i,
          },
          payloadOf(hz),
        );
        socket.send(packet, port, '127.0.0.1');
        packetsSent++;
      });
    setTimeout(tick, Math.max(0, start + sent * 20 - performance.now()));
  };
  tick();
  process.stdout.write('sending\n');
});
