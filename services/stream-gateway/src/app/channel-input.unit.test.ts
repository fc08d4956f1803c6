import { encodeMulaw, toneRatio } from '@callctl/testing';
import type { RtpPacket } from '@callctl/rtp';
import type { ForkedParty } from '@callctl/service';
import { ChannelInput } from './channel-input.js';

const PCMU_FORK: ForkedParty = {
  fromTag: 'caller',
  sinkPort: 1,
  payloadType: 0,
  codec: 'PCMU',
  clockRate: 8000,
  sampleRate: 8000,
  telephoneEventPayloadType: 101,
  transcoded: false,
};

/** Packet n of a 700 Hz PCMU tone, 20 ms each. */
function packet(n: number): RtpPacket {
  const payload = new Uint8Array(160);
  for (let i = 0; i < 160; i++)
    payload[i] = encodeMulaw(8000 * Math.sin((2 * Math.PI * 700 * (n * 160 + i)) / 8000));
  return {
    version: 2,
    padding: false,
    extension: false,
    marker: n === 0,
    payloadType: 0,
    sequence: 1000 + n,
    timestamp: 5000 + n * 160,
    ssrc: 42,
    csrcs: [],
    payload,
  } as RtpPacket;
}

describe('ChannelInput (a fork → 20 ms frames)', () => {
  it('passes PCMU through byte for byte', () => {
    const input = new ChannelInput(PCMU_FORK, 8000, true);
    input.push(packet(0), 0);
    expect(input.take(5)).toBe(true);
    expect([...input.bytes]).toEqual([...packet(0).payload]);
  });

  it('plays a lost packet as silence in its place, and nothing once the party stops (hold)', () => {
    const input = new ChannelInput(PCMU_FORK, 8000, false);
    const frames: Array<'tone' | 'silence' | 'none'> = [];
    for (let n = 0; n < 10; n++) {
      if (n !== 4) input.push(packet(n), n * 20);
      const got = input.take(n * 20 + 10);
      frames.push(!got ? 'none' : input.frame.some((s) => s !== 0) ? 'tone' : 'silence');
    }
    // The party stops sending after packet 9 (hold).
    for (let n = 10; n < 16; n++) frames.push(input.take(n * 20 + 10) ? 'silence' : 'none');
    expect(frames.slice(0, 10).filter((f) => f === 'tone')).toHaveLength(9);
    expect(frames.slice(0, 10)).toContain('silence');
    expect(frames.slice(-3)).toEqual(['none', 'none', 'none']);
    expect(input.stats().lost).toBe(1);
  });

  it('brings G.711 to 16 kHz through the interpolator, the tone kept', () => {
    const input = new ChannelInput(PCMU_FORK, 16000, false);
    const samples: number[] = [];
    for (let n = 0; n < 50; n++) {
      input.push(packet(n), n * 20);
      if (input.take(n * 20 + 10)) samples.push(...input.frame);
    }
    expect(input.frame).toHaveLength(320);
    expect(samples.length).toBeGreaterThanOrEqual(49 * 320);
    // Goertzel at 16 kHz: 700 Hz there is 350 Hz at the helper's 8 kHz.
    expect(toneRatio(samples.slice(640), 350)).toBeGreaterThan(0.9);
  });
});
