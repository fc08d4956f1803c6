// RTP packets (RFC 3550 §5.1): reading what rtpengine forks to us and building what we send. Pure: bytes in,
// values out. The payload is a view into the datagram (no copy): a consumer that keeps it past the
// datagram's life copies it itself.
import { MalformedRtpPacketError } from './errors.js';

const FIXED_HEADER_BYTES = 12;

export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  /** 16-bit, wraps at 65535. */
  sequence: number;
  /** 32-bit, in the payload format's clock units (8000 per second for G.711). */
  timestamp: number;
  ssrc: number;
  /** Contributing sources (a mixer's inputs); empty for a plain stream. */
  csrcs: readonly number[];
}

export interface RtpPacket extends RtpHeader {
  /** The header extension's profile word, when there is one; its content is skipped. */
  extensionProfile?: number;
  /** What follows the header, CSRCs and extension, without padding. */
  payload: Uint8Array;
}

/**
 * Reads a version 2 RTP packet. Throws MalformedRtpPacketError (with the failed check as `reason`) for
 * anything else: a short datagram, another version, CSRCs or an extension that run past the end, padding
 * that counts more bytes than the packet has.
 */
export function parseRtpPacket(datagram: Uint8Array): RtpPacket {
  const fail = (reason: string): never => {
    throw new MalformedRtpPacketError(`not an RTP packet: ${reason}`, {
      reason,
      length: datagram.length,
    });
  };
  if (datagram.length < FIXED_HEADER_BYTES) fail(`${datagram.length} bytes, the fixed header needs 12`);
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const first = datagram[0]!;
  const version = first >> 6;
  if (version !== 2) fail(`version ${version}, expected 2`);
  const csrcCount = first & 0x0f;
  let start = FIXED_HEADER_BYTES + 4 * csrcCount;
  if (datagram.length < start) fail(`${csrcCount} CSRCs run past the end`);
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(view.getUint32(FIXED_HEADER_BYTES + 4 * i));
  let extensionProfile: number | undefined;
  if (first & 0x10) {
    if (datagram.length < start + 4) fail('the header extension runs past the end');
    extensionProfile = view.getUint16(start);
    start += 4 + 4 * view.getUint16(start + 2);
    if (datagram.length < start) fail('the header extension runs past the end');
  }
  let end = datagram.length;
  if (first & 0x20) {
    const padding = datagram[end - 1]!;
    if (padding === 0 || end - padding < start) fail(`padding of ${padding} bytes does not fit`);
    end -= padding;
  }
  const second = datagram[1]!;
  return {
    payloadType: second & 0x7f,
    marker: (second & 0x80) !== 0,
    sequence: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    ...(extensionProfile === undefined ? {} : { extensionProfile }),
    payload: datagram.subarray(start, end),
  };
}

/** Builds a version 2 RTP packet (no extension, no padding): header, CSRCs, payload. */
export function buildRtpPacket(
  header: Omit<RtpHeader, 'csrcs'> & { csrcs?: readonly number[] },
  payload: Uint8Array,
): Buffer {
  const csrcs = header.csrcs ?? [];
  if (csrcs.length > 15) throw new RangeError(`at most 15 CSRCs, got ${csrcs.length}`);
  const headerBytes = FIXED_HEADER_BYTES + 4 * csrcs.length;
  const packet = Buffer.alloc(headerBytes + payload.length);
  packet[0] = 0x80 | csrcs.length;
  packet[1] = (header.marker ? 0x80 : 0) | (header.payloadType & 0x7f);
  packet.writeUInt16BE(header.sequence & 0xffff, 2);
  packet.writeUInt32BE(header.timestamp >>> 0, 4);
  packet.writeUInt32BE(header.ssrc >>> 0, 8);
  csrcs.forEach((csrc, i) => packet.writeUInt32BE(csrc >>> 0, FIXED_HEADER_BYTES + 4 * i));
  packet.set(payload, headerBytes);
  return packet;
}
