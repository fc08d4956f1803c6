import { decodeAlaw, parseRtpPacket } from '@callctl/rtp';
import { ParticipantOutput } from './participant-output';
import type { RtpPort } from './ports';

/** A port that keeps what is sent (copied, as the wire would) and completes sends when told. */
function capturingPort() {
  const sent: Buffer[] = [];
  const pending: (() => void)[] = [];
  const port: RtpPort = {
    port: 1,
    send: (packet, _port, _address, onSent) => {
      sent.push(Buffer.from(packet));
      pending.push(onSent);
    },
    close: async () => undefined,
  };
  return { port, sent, complete: () => pending.splice(0).forEach((done) => done()) };
}

const to = { address: '127.0.0.1', port: 2 };

describe('participant output', () => {
  it('sends its own SSRC with continuous sequence numbers and timestamps, marked after a pause', () => {
    const output = new ParticipantOutput('PCMA', 8, {
      ssrc: 0xdeadbeef,
      firstSequence: 65535,
      firstTimestamp: 0xfffffff0,
    });
    const { port, sent, complete } = capturingPort();
    const mix = new Int16Array(160).fill(-2000);
    output.send(mix, port, to);
    output.advance(true);
    output.send(mix, port, to);
    output.advance(true);
    output.advance(false);
    output.send(mix, port, to);
    complete();
    const [first, second, third] = sent.map((packet) => parseRtpPacket(packet));
    expect([first!.ssrc, first!.payloadType, first!.marker, first!.sequence, first!.timestamp]).toEqual([
      0xdeadbeef,
      8,
      true,
      65535,
      0xfffffff0,
    ]);
    expect([second!.marker, second!.sequence, second!.timestamp]).toEqual([false, 0, 0x90]);
    expect([third!.marker, third!.sequence, third!.timestamp]).toEqual([true, 1, 0x90 + 320]);
    expect(Math.abs(decodeAlaw(third!.payload)[0]! + 2000)).toBeLessThan(64);
    expect(output.packetsOut).toBe(3);
  });

  it('never writes into a packet whose send has not completed (a burst of catch-up ticks)', () => {
    const output = new ParticipantOutput('PCMU', 0, { ssrc: 1, firstSequence: 0, firstTimestamp: 0 });
    const buffers: Buffer[] = [];
    const port: RtpPort = { port: 1, send: (packet) => buffers.push(packet), close: async () => undefined };
    for (let i = 0; i < 10; i++) {
      output.send(new Int16Array(160), port, to);
      output.advance(true);
    }
    expect(new Set(buffers).size).toBe(10);
    expect(buffers.map((packet) => packet.readUInt16BE(2))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
