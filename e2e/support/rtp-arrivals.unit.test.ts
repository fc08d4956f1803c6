import { encodeMulaw, decodeMulaw, type RtpArrival } from '@callctl/testing';
import { firstRun, packetTones, windowStats } from './rtp-arrivals.js';

/** Packets every 20 ms of RTP time (160 samples), arriving at `at(i)`. */
const arrivals = (n: number, at: (i: number) => number, ssrc = (_i: number) => 1): RtpArrival[] =>
  Array.from({ length: n }, (_, i) => ({
    at: at(i),
    rms: 0,
    ssrc: ssrc(i),
    timestamp: i * 160,
    samples: 160,
  }));

describe('windowStats', () => {
  it('reads a steady stream as no jitter and 20 ms gaps', () => {
    const stats = windowStats(
      arrivals(100, (i) => 1000 + 20 * i),
      1000,
      3000,
    );
    expect(stats).toEqual({ packets: 100, jitterMs: 0, maxJitterMs: 0, maxGapMs: 20, ssrcs: [1] });
  });

  it('sees a late packet as a gap and as jitter that decays', () => {
    const stats = windowStats(
      arrivals(100, (i) => 1000 + 20 * i + (i === 50 ? 60 : 0)),
      0,
      10_000,
    );
    expect(stats.maxGapMs).toBe(80);
    expect(stats.maxJitterMs).toBeCloseTo(60 / 16 + (60 - 60 / 16) / 16, 5);
    expect(stats.jitterMs).toBeLessThan(stats.maxJitterMs);
  });

  it('does not count a change of SSRC (new timestamps) as jitter, and names both streams', () => {
    const stats = windowStats(
      arrivals(
        10,
        (i) => 20 * i,
        (i) => (i < 5 ? 1 : 2),
      ).map((a, i) => (i >= 5 ? { ...a, timestamp: 99_999 + i * 160 } : a)),
      0,
      1000,
    );
    expect(stats.jitterMs).toBe(0);
    expect(stats.ssrcs).toEqual([1, 2]);
  });

  it('keeps only the packets inside the window', () => {
    expect(
      windowStats(
        arrivals(10, (i) => 20 * i),
        40,
        100,
      ).packets,
    ).toBe(3);
  });
});

describe('packetTones and firstRun', () => {
  /** 10 packets of silence, then 10 of 2000 Hz, as an endpoint would have decoded them. */
  const endpoint = () => {
    const received: number[] = [];
    for (let i = 0; i < 20 * 160; i++)
      received.push(
        i < 10 * 160 ? 0 : decodeMulaw(encodeMulaw(8000 * Math.sin((2 * Math.PI * 2000 * i) / 8000))),
      );
    return { arrivals: arrivals(20, (i) => 1000 + 20 * i), received };
  };

  it('finds when a tone appeared, packet by packet', () => {
    const tones = packetTones(endpoint(), 2000);
    expect(tones[9]!.ratio).toBe(0);
    expect(tones[10]!.ratio).toBeGreaterThan(0.9);
    expect(firstRun(tones, 1000, (r) => r > 0.5)).toBe(1200);
    expect(firstRun(tones, 1000, (r) => r < 0.05, 5)).toBe(1000);
    expect(firstRun(tones, 1100, (r) => r < 0.05, 5)).toBe(1100);
    expect(firstRun(tones, 1200, (r) => r < 0.05, 5)).toBeUndefined();
  });
});
