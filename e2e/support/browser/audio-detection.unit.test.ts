import { speechHeard, toneHeard, type AudioReading } from './audio-detection.js';

const frame = (rms: number, dominantHz: number, share700 = 0): AudioReading => ({
  rms,
  dominantHz,
  toneShare: { 700: share700 },
});

describe('toneHeard', () => {
  it('is a steady audible tone in most frames', () => {
    const frames = Array.from({ length: 10 }, (_, i) => frame(0.2, 700, i < 8 ? 0.9 : 0.1));
    expect(toneHeard(frames, 700)).toBe(true);
  });
  it('is not a quiet tone, another tone, or too few frames', () => {
    expect(
      toneHeard(
        Array.from({ length: 10 }, () => frame(0.001, 700, 0.9)),
        700,
      ),
    ).toBe(false);
    expect(
      toneHeard(
        Array.from({ length: 10 }, () => frame(0.2, 1000, 0.01)),
        700,
      ),
    ).toBe(false);
    expect(toneHeard([frame(0.2, 700, 0.9)], 700)).toBe(false);
  });
});

describe('speechHeard', () => {
  it('is audible frames whose loudest frequency moves', () => {
    const frames = [120, 240, 360, 500, 800, 1200, 300, 150, 0, 0].map((hz, i) =>
      frame(i < 8 ? 0.05 : 0.0001, hz),
    );
    expect(speechHeard(frames)).toBe(true);
  });
  it('is not a steady tone, nor silence', () => {
    expect(speechHeard(Array.from({ length: 20 }, () => frame(0.2, 700, 0.9)))).toBe(false);
    expect(speechHeard([120, 240, 360, 500, 800, 1200, 300, 150].map((hz) => frame(0.001, hz)))).toBe(false);
  });
});
