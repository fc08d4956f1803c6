// A G.722 fork (ffmpeg's encoder makes the payloads): 16 kHz natively in a 16 kHz stream (a 6 kHz tone,
// which no G.711 path could carry, comes through), decimated in an 8 kHz one (1 kHz kept, 6 kHz gone).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RtpPacket } from '@callctl/rtp';
import type { ForkedParty } from '@callctl/service';
import { encodeFrames, makeToneFile, toneRatio } from '@callctl/testing';
import { ChannelInput } from './channel-input.js';

const G722_FORK: ForkedParty = {
  fromTag: 'caller',
  sinkPort: 1,
  payloadType: 9,
  codec: 'G722',
  clockRate: 8000,
  sampleRate: 16000,
  telephoneEventPayloadType: 0,
  transcoded: true,
};

const packetOf = (payload: Buffer, n: number): RtpPacket =>
  ({
    version: 2,
    padding: false,
    extension: false,
    marker: n === 0,
    payloadType: 9,
    sequence: n,
    timestamp: n * 160,
    ssrc: 7,
    csrcs: [],
    payload,
  }) as RtpPacket;

/** The frames a channel makes of `payloads`, one packet per tick. */
function frames(payloads: readonly Buffer[], rate: 8000 | 16000): number[] {
  const input = new ChannelInput(G722_FORK, rate, false);
  const samples: number[] = [];
  payloads.forEach((payload, n) => {
    input.push(packetOf(payload, n), n * 20);
    if (input.take(n * 20 + 10)) samples.push(...input.frame);
  });
  return samples;
}

describe('ChannelInput with a G.722 fork', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'g722-channel-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is 16 kHz natively in a 16 kHz stream: a 6 kHz tone comes through', async () => {
    const payloads = await encodeFrames(
      'G722',
      makeToneFile(dir, 'six.wav', 1, 6000, { rateHz: 16000, volume: 0.3 }),
    );
    const samples = frames(payloads, 16000);
    expect(samples.length).toBeGreaterThanOrEqual(45 * 320);
    // Goertzel at 16 kHz: 6000 Hz there is 3000 Hz at the helper's 8 kHz.
    expect(toneRatio(samples.slice(640), 3000)).toBeGreaterThan(0.8);
  });

  it('is decimated in an 8 kHz stream: 1 kHz kept, 6 kHz filtered out', async () => {
    const one = frames(
      await encodeFrames('G722', makeToneFile(dir, 'one.wav', 1, 1000, { rateHz: 16000, volume: 0.3 })),
      8000,
    );
    expect(toneRatio(one.slice(320), 1000)).toBeGreaterThan(0.8);
    const six = frames(
      await encodeFrames('G722', makeToneFile(dir, 'six8.wav', 1, 6000, { rateHz: 16000, volume: 0.3 })),
      8000,
    );
    const rms = Math.sqrt(six.slice(320).reduce((sum, s) => sum + s * s, 0) / (six.length - 320));
    expect(rms).toBeLessThan(100);
  });
});
