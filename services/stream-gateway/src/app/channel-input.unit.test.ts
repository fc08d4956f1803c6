import fc from 'fast-check';
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

/** Packet n of silence (a quiet party), PCMU. */
function quietPacket(n: number): RtpPacket {
  return { ...packet(n), payload: new Uint8Array(160).fill(0xff) } as RtpPacket;
}

/**
 * Plays packets arriving at `arrivals[n]` (ms; undefined: lost) on a 20 ms clock ticking at 20k + 10, and
 * returns what the queue held after each tick (ms).
 */
function play(input: ChannelInput, arrivals: Array<number | undefined>, make = packet): number[] {
  const queued: number[] = [];
  const last = Math.max(...arrivals.filter((a) => a !== undefined));
  let next = 0;
  for (let tick = 10; tick <= last + 100; tick += 20) {
    for (; next < arrivals.length && (arrivals[next] === undefined || arrivals[next]! <= tick); next++)
      if (arrivals[next] !== undefined) input.push(make(next), arrivals[next]!);
    input.take(tick);
    queued.push(input.queuedMs);
  }
  return queued;
}

/** Packet n sent at n × 20 ms, arriving `delay(n)` later but never before the one sent before it. */
function inOrder(count: number, delay: (n: number) => number): number[] {
  const arrivals: number[] = [];
  for (let n = 0; n < count; n++) arrivals.push(Math.max(arrivals[n - 1] ?? 0, n * 20 + delay(n)));
  return arrivals;
}

/** Five 50 ms stalls 200 ms apart, 2 s in: each conceals frames whose late audio then queues behind. */
const STALLS = (n: number): number => ([100, 110, 120, 130, 140].includes(n) ? 50 : 0);

describe('ChannelInput playout (adaptive, as the mixer)', () => {
  it('adds at most a frame while the party sends steadily', () => {
    const queued = play(
      new ChannelInput(PCMU_FORK, 8000, true),
      inOrder(500, () => 3),
    );
    expect(Math.max(...queued.slice(0, 490))).toBeLessThanOrEqual(20);
  });

  it('keeps no delay from stalls once the party is quiet: back to the target within 2 s', () => {
    for (const passthrough of [true, false]) {
      const input = new ChannelInput(PCMU_FORK, 8000, passthrough);
      const queued = play(input, inOrder(500, STALLS), quietPacket);
      expect(Math.max(...queued.slice(100, 150))).toBeGreaterThanOrEqual(40);
      expect(Math.max(...queued.slice(250, 490))).toBeLessThanOrEqual(20);
      expect(input.stats().underruns).toBeGreaterThanOrEqual(1);
    }
  });

  it('sheds the delay of stalls from loud audio too, in whole frames: every frame out is a frame in', () => {
    const input = new ChannelInput(PCMU_FORK, 8000, true);
    const sent = new Set<string>();
    const out: string[] = [];
    const arrivals = inOrder(1000, STALLS);
    let next = 0;
    for (let tick = 10; tick <= arrivals.at(-1)! + 100; tick += 20) {
      for (; next < arrivals.length && arrivals[next]! <= tick; next++) {
        const p = packet(next);
        sent.add(Buffer.from(p.payload).toString('hex'));
        input.push(p, arrivals[next]!);
      }
      if (input.take(tick)) out.push(Buffer.from(input.bytes).toString('hex'));
      if (tick === 20 * 990 + 10) expect(input.queuedMs).toBeLessThanOrEqual(20);
    }
    // Target 2 after the underrun, 1 after 5 s without another; what it held above, dropped whole.
    expect(input.stats().underruns).toBeGreaterThanOrEqual(1);
    expect(input.stats().targetFrames).toBe(1);
    expect(input.stats().trimmedFrames).toBeGreaterThanOrEqual(1);
    // No frame altered (a squeeze would change the tone's pitch); concealment aside, each is one sent.
    const silence = Buffer.alloc(160, 0xff).toString('hex');
    expect(out.filter((frame) => frame !== silence && !sent.has(frame))).toEqual([]);
  });

  it('never lets a jittery, stalling sender grow the queue without bound, and returns to its target', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 600 })), {
          minLength: 50,
          maxLength: 300,
        }),
        fc.array(fc.nat({ max: 999 }), { maxLength: 10 }),
        fc.boolean(),
        fc.boolean(),
        (delays, losses, passthrough, loud) => {
          // The jittery part, then 16 s of steady arrivals (the target decays and the excess is shed).
          const arrivals: Array<number | undefined> = inOrder(delays.length + 800, (n) => delays[n] ?? 0);
          for (const n of losses) if (n < delays.length) arrivals[n] = undefined;
          const input = new ChannelInput(PCMU_FORK, 8000, passthrough);
          const queued = play(input, arrivals, loud ? packet : quietPacket);
          // Bounded: cut back above 10 frames (and a tick's arrivals on top).
          expect(Math.max(...queued)).toBeLessThanOrEqual(260);
          expect(Math.max(...queued.slice(-20))).toBeLessThanOrEqual(20);
        },
      ),
      { numRuns: 25 },
    );
  });
});
