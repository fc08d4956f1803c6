import { MalformedRtpPacketError } from './errors.js';
import { buildRtpPacket, parseRtpPacket } from './rtp-packet.js';

const header = { payloadType: 0, marker: true, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef };

function malformedReason(datagram: Uint8Array): string {
  try {
    parseRtpPacket(datagram);
  } catch (error) {
    expect(error).toBeInstanceOf(MalformedRtpPacketError);
    expect((error as MalformedRtpPacketError).kind).toBe('invalid_argument');
    return (error as MalformedRtpPacketError).context.reason;
  }
  throw new Error('parsed a malformed packet');
}

describe('RTP packets', () => {
  it('round-trips header fields at their limits, CSRCs and the payload', () => {
    const payload = Uint8Array.of(1, 2, 3, 4, 5);
    const packet = parseRtpPacket(buildRtpPacket({ ...header, csrcs: [1, 0xffffffff] }, payload));
    expect(packet).toEqual({ ...header, csrcs: [1, 0xffffffff], payload });
  });

  it('reads a packet as rtpengine may send it: header extension skipped, padding removed', () => {
    const built = buildRtpPacket({ ...header, marker: false, payloadType: 8 }, new Uint8Array(0));
    const extension = Buffer.from([0xbe, 0xde, 0x00, 0x02, 1, 2, 3, 4, 5, 6, 7, 8]); // 2 words
    const payload = Buffer.from([0xd5, 0xd5, 0xd5]);
    const padding = Buffer.from([0, 0, 3]);
    const datagram = Buffer.concat([built, extension, payload, padding]);
    datagram[0] = datagram[0]! | 0x10 | 0x20;
    const packet = parseRtpPacket(datagram);
    expect(packet.payloadType).toBe(8);
    expect(packet.marker).toBe(false);
    expect(packet.extensionProfile).toBe(0xbede);
    expect(Buffer.from(packet.payload)).toEqual(payload);
  });

  it('reads from a view into a larger buffer (a pooled Buffer) at its own offset', () => {
    const built = buildRtpPacket(header, Uint8Array.of(9, 9));
    const pool = Buffer.concat([Buffer.alloc(7, 0x55), built]);
    const packet = parseRtpPacket(pool.subarray(7));
    expect(packet.sequence).toBe(65535);
    expect(packet.ssrc).toBe(0xdeadbeef);
    expect(Array.from(packet.payload)).toEqual([9, 9]);
  });

  it('rejects malformed datagrams with a typed error naming what is wrong', () => {
    const good = buildRtpPacket(header, Uint8Array.of(1, 2, 3, 4));
    expect(malformedReason(good.subarray(0, 11))).toMatch(/11 bytes/);
    expect(malformedReason(Buffer.from([0x40, ...good.subarray(1)]))).toMatch(/version 1/);
    const csrcs = Buffer.from(good);
    csrcs[0] = 0x80 | 5; // 5 CSRCs = 20 bytes, only 4 follow
    expect(malformedReason(csrcs)).toMatch(/CSRC/);
    const extension = Buffer.from(good);
    extension[0] = 0x90;
    extension.writeUInt16BE(10, 14); // 10 words of extension, 0 present
    expect(malformedReason(extension)).toMatch(/extension/);
    const shortExtension = Buffer.from(good.subarray(0, 14));
    shortExtension[0] = 0x90;
    expect(malformedReason(shortExtension)).toMatch(/extension/);
    const padding = Buffer.from(good);
    padding[0] = 0xa0;
    padding[padding.length - 1] = 200;
    expect(malformedReason(padding)).toMatch(/padding of 200/);
    padding[padding.length - 1] = 0;
    expect(malformedReason(padding)).toMatch(/padding of 0/);
  });

  it('refuses to build more than 15 CSRCs', () => {
    expect(() =>
      buildRtpPacket({ ...header, csrcs: new Array<number>(16).fill(1) }, new Uint8Array()),
    ).toThrow(RangeError);
  });
});
