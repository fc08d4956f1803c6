// Reads what rtpengine's `--recording-method=pcap` wrote (one file per call, linktype 101: raw IP, no
// link-layer header): the RTP that reached each of the recorder's ports, decoded where it is PCMU, so a
// test can tell per m-line (per SIPREC label) whose tone was recorded.
import { readFileSync } from 'node:fs';
import { decodeMulaw, parseRtpPacket, toneRatio } from '@callctl/testing';

/** One recorded UDP datagram. */
export interface RecordedDatagram {
  /** Seconds since the epoch (with microseconds). */
  at: number;
  source: { address: string; port: number };
  destination: { address: string; port: number };
  payload: Buffer;
}

const LINKTYPE_RAW = 101;
const IPPROTO_UDP = 17;

/** The UDP datagrams of a pcap file (IPv4 only, which is all rtpengine on loopback writes here). */
export function readPcapUdp(file: string): RecordedDatagram[] {
  const bytes = readFileSync(file);
  if (bytes.length < 24) return [];
  const magic = bytes.readUInt32LE(0);
  // a1b2c3d4: microseconds, a1b23c4d: nanoseconds; read little-endian as written here, or swapped.
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const big = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  if (!little && !big) throw new Error(`${file} is not a pcap file (magic ${magic.toString(16)})`);
  const u32 = (at: number) => (little ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  const fraction = magic === 0xa1b23c4d || magic === 0x4d3cb2a1 ? 1e9 : 1e6;
  const linktype = u32(20);
  if (linktype !== LINKTYPE_RAW) throw new Error(`${file} has linktype ${linktype}, not raw IP (101)`);
  const datagrams: RecordedDatagram[] = [];
  // A file still being written may end in a partial record: only whole records are read.
  for (let at = 24; at + 16 <= bytes.length;) {
    const seconds = u32(at);
    const part = u32(at + 4);
    const length = u32(at + 8);
    const start = at + 16;
    at = start + length;
    if (at > bytes.length) break;
    const packet = bytes.subarray(start, start + length);
    if (packet.length < 20 || packet[0]! >> 4 !== 4 || packet[9] !== IPPROTO_UDP) continue;
    const ipHeader = (packet[0]! & 0x0f) * 4;
    if (packet.length < ipHeader + 8) continue;
    const address = (o: number) => `${packet[o]}.${packet[o + 1]}.${packet[o + 2]}.${packet[o + 3]}`;
    datagrams.push({
      at: seconds + part / fraction,
      source: { address: address(12), port: packet.readUInt16BE(ipHeader) },
      destination: { address: address(16), port: packet.readUInt16BE(ipHeader + 2) },
      payload: packet.subarray(
        ipHeader + 8,
        Math.min(packet.length, ipHeader + packet.readUInt16BE(ipHeader + 4)),
      ),
    });
  }
  return datagrams;
}

/** The RTP a recorder port received, as the pcap holds it. */
export interface RecordedStream {
  port: number;
  packets: number;
  /** Decoded PCMU samples (PT 0 only), in file order. */
  samples: number[];
  /** Receive times of the RTP packets (seconds since the epoch). */
  times: number[];
}

/** The RTP of the pcap, per destination port (per recorder m-line). */
export function recordedStreams(file: string): Map<number, RecordedStream> {
  const streams = new Map<number, RecordedStream>();
  for (const datagram of readPcapUdp(file)) {
    const rtp = parseRtpPacket(datagram.payload);
    if (!rtp) continue;
    const port = datagram.destination.port;
    let stream = streams.get(port);
    if (!stream) streams.set(port, (stream = { port, packets: 0, samples: [], times: [] }));
    stream.packets += 1;
    stream.times.push(datagram.at);
    if (rtp.payloadType === 0) for (const byte of rtp.payload) stream.samples.push(decodeMulaw(byte));
  }
  return streams;
}

/** Share of the stream's power at `hz` (Goertzel over its decoded samples). */
export function recordedToneRatio(stream: RecordedStream, hz: number): number {
  return toneRatio(stream.samples, hz);
}
