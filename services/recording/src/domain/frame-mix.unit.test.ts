import { addClipped, interleaveChannel, upsample2x } from './frame-mix.js';

describe('addClipped', () => {
  it('sums parties sample by sample and clips at the 16-bit limits', () => {
    const out = new Int16Array(4);
    addClipped(out, 0, Int16Array.of(1000, 30000, -30000, 5), 0, 4);
    addClipped(out, 0, Int16Array.of(-400, 10000, -10000, 7), 0, 4);
    expect(Array.from(out)).toEqual([600, 32767, -32768, 12]);
  });

  it('works on a region of both arrays', () => {
    const out = new Int16Array(6);
    addClipped(out, 2, Int16Array.of(9, 1, 2, 9), 1, 2);
    expect(Array.from(out)).toEqual([0, 0, 1, 2, 0, 0]);
  });
});

describe('interleaveChannel', () => {
  it('puts party 0 on the left and party 1 on the right of each frame', () => {
    const out = new Int16Array(8);
    interleaveChannel(out, 0, 0, 2, Int16Array.of(1, 2, 3), 0, 3);
    interleaveChannel(out, 0, 1, 2, Int16Array.of(-1, -2, -3), 0, 3);
    expect(Array.from(out)).toEqual([1, -1, 2, -2, 3, -3, 0, 0]);
  });
});

describe('upsample2x', () => {
  it('doubles the rate by linear interpolation, carrying the last sample to the next payload', () => {
    const out = new Int16Array(6);
    const last = upsample2x(Int16Array.of(100, 200, -100), out, 0);
    expect(Array.from(out)).toEqual([50, 100, 150, 200, 50, -100]);
    expect(last).toBe(-100);
    upsample2x(Int16Array.of(300), out, last);
    expect(Array.from(out.subarray(0, 2))).toEqual([100, 300]);
  });

  it('keeps a tone a tone: a 1 kHz sine at 8 kHz stays within 2 % of the same sine at 16 kHz', () => {
    const input = Int16Array.from({ length: 160 }, (_, i) =>
      Math.round(10000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)),
    );
    const out = new Int16Array(320);
    upsample2x(input, out, 0);
    // Half a sample (at 8 kHz) of delay: out[k] ≈ sin at 16 kHz sample k - 1.
    for (let k = 4; k < 320; k++) {
      const expected = 10000 * Math.sin((2 * Math.PI * 1000 * (k - 1)) / 16000);
      expect(Math.abs(out[k]! - expected)).toBeLessThan(1000);
    }
  });
});
