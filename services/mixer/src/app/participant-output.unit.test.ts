import { decodeAlaw, parseRtpPacket } from '@callctl/rtp';
import { ParticipantOutput } from './participant-output';

describe('participant output', () => {
  it('sends its own SSRC with continuous sequence numbers and timestamps, marked after a pause', () => {
    const output = new ParticipantOutput('PCMA', 8, {
      ssrc: 0xdeadbeef,
      firstSequence: 65535,
      firstTimestamp: 0xfffffff0,
    });
    const mix = new Int16Array(160).fill(-2000);
    const first = parseRtpPacket(Buffer.from(output.packet(mix)));
    output.advance(true);
    const second = parseRtpPacket(Buffer.from(output.packet(mix)));
    output.advance(true);
    output.advance(false);
    const third = parseRtpPacket(Buffer.from(output.packet(mix)));
    expect([first.ssrc, first.payloadType, first.marker, first.sequence, first.timestamp]).toEqual([
      0xdeadbeef,
      8,
      true,
      65535,
      0xfffffff0,
    ]);
    expect([second.marker, second.sequence, second.timestamp]).toEqual([false, 0, 0x90]);
    expect([third.marker, third.sequence, third.timestamp]).toEqual([true, 1, 0x90 + 320]);
    expect(Math.abs(decodeAlaw(third.payload)[0]! + 2000)).toBeLessThan(64);
    expect(output.packetsOut).toBe(3);
  });
});
