import {
  buildRtpPacket,
  dtmfEventCode,
  parseRtpPacket,
  parseTelephoneEvent,
  telephoneEventPayload,
} from './rtp-packet.js';

describe('rtp-packet', () => {
  const header = { payloadType: 101, marker: true, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0x12345678 };

  it('reads back the header and payload it writes', () => {
    const packet = buildRtpPacket(header, Buffer.from([1, 2, 3]));
    expect(packet.length).toBe(15);
    expect(parseRtpPacket(packet)).toEqual({ ...header, payload: Buffer.from([1, 2, 3]) });
  });

  it('skips CSRCs and a header extension and drops padding', () => {
    const packet = buildRtpPacket({ ...header, marker: false }, Buffer.alloc(0));
    packet[0] = 0x80 | 0x20 | 0x10 | 1; // padding, extension, one CSRC
    const csrc = Buffer.alloc(4, 0xaa);
    const extension = Buffer.from([0xbe, 0xde, 0, 1, 9, 9, 9, 9]); // one 32-bit word
    const padded = Buffer.concat([packet, csrc, extension, Buffer.from([7, 8]), Buffer.from([0, 0, 3])]);
    expect(parseRtpPacket(padded)?.payload).toEqual(Buffer.from([7, 8]));
  });

  it('refuses what is not RTP version 2', () => {
    expect(parseRtpPacket(Buffer.alloc(11, 0x80))).toBeUndefined();
    expect(parseRtpPacket(Buffer.alloc(20, 0x40))).toBeUndefined();
  });

  it('writes and reads RFC 4733 events, clipping long durations', () => {
    const payload = telephoneEventPayload({ event: 11, end: true, duration: 70_000 });
    expect([...payload]).toEqual([11, 0x80 | 10, 0xff, 0xff]);
    expect(parseTelephoneEvent(payload)).toEqual({ event: 11, end: true, volume: 10, duration: 0xffff });
    expect(parseTelephoneEvent(Buffer.alloc(3))).toBeUndefined();
  });

  it('maps DTMF keys to event codes and refuses anything else', () => {
    expect(['0', '9', '*', '#', 'A', 'd'].map(dtmfEventCode)).toEqual([0, 9, 10, 11, 12, 15]);
    expect(() => dtmfEventCode('x')).toThrow('not a DTMF key: "x"');
    expect(() => dtmfEventCode('12')).toThrow('not a DTMF key');
  });
});
