import { mixFrames } from './frame-mix.js';

const FRAME_SAMPLES = 160;

const frame = (value: number) => new Int16Array(FRAME_SAMPLES).fill(value);

describe('mixFrames', () => {
  const accumulator = new Int32Array(FRAME_SAMPLES);
  const out = new Int16Array(FRAME_SAMPLES);

  it('is silence without sources and a copy with one', () => {
    out.fill(5);
    mixFrames([], accumulator, out);
    expect(out.every((s) => s === 0)).toBe(true);
    mixFrames([frame(1234)], accumulator, out);
    expect(out.every((s) => s === 1234)).toBe(true);
  });

  it('sums several sources sample by sample', () => {
    const ramp = Int16Array.from({ length: FRAME_SAMPLES }, (_, i) => i * 10 - 800);
    mixFrames([ramp, frame(100), frame(-50)], accumulator, out);
    expect(Array.from(out)).toEqual(Array.from(ramp, (s) => s + 50));
  });

  it('saturates instead of wrapping when the sum leaves 16 bits', () => {
    mixFrames([frame(30000), frame(30000), frame(30000)], accumulator, out);
    expect(out[0]).toBe(32767);
    mixFrames([frame(-30000), frame(-30000)], accumulator, out);
    expect(out[0]).toBe(-32768);
    mixFrames([frame(32767), frame(-32768), frame(32767)], accumulator, out);
    expect(out[0]).toBe(32766);
  });
});
