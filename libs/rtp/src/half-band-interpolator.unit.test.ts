import { HalfBandInterpolator } from './half-band-interpolator.js';

/** One second of an 8 kHz sine. */
function tone8k(frequency: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: 8000 }, (_, n) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * frequency * n) / 8000)),
  );
}

function interpolated(input: Int16Array, chunk = 160): Int16Array {
  const interpolator = new HalfBandInterpolator();
  const out = new Int16Array(input.length * 2);
  let written = 0;
  for (let i = 0; i < input.length; i += chunk)
    written += interpolator.interpolateInto(input.subarray(i, i + chunk), out.subarray(written));
  expect(written).toBe(out.length);
  return out;
}

/** Power of `frequency` in 16 kHz samples (after 10 ms of settling), as an RMS amplitude (DFT bin). */
function rmsAt(samples: Int16Array, frequency: number): number {
  let re = 0;
  let im = 0;
  const from = 160;
  const n = samples.length - from;
  for (let i = from; i < samples.length; i++) {
    const angle = (2 * Math.PI * frequency * i) / 16000;
    re += samples[i]! * Math.cos(angle);
    im += samples[i]! * Math.sin(angle);
  }
  return (Math.sqrt(re * re + im * im) * Math.SQRT2) / n;
}

const dB = (ratio: number) => 20 * Math.log10(ratio);
const AMPLITUDE = 10000;
const SINE_RMS = AMPLITUDE / Math.SQRT2;

describe('HalfBandInterpolator (8 kHz → 16 kHz)', () => {
  it.each([300, 700, 1300, 2000, 3000, 3400])('keeps %i Hz within 0.5 dB', (frequency) => {
    const out = interpolated(tone8k(frequency, AMPLITUDE));
    expect(Math.abs(dB(rmsAt(out, frequency) / SINE_RMS))).toBeLessThan(0.5);
  });

  it.each([300, 700, 1300, 2000, 3000])(
    'leaves the image of %i Hz (at 8000 - f) at least 55 dB down',
    (frequency) => {
      const out = interpolated(tone8k(frequency, AMPLITUDE));
      expect(dB(rmsAt(out, 8000 - frequency) / SINE_RMS)).toBeLessThan(-55);
    },
  );

  it('gives the same output whatever the chunking', () => {
    const input = tone8k(1000, AMPLITUDE);
    expect(interpolated(input, 7)).toEqual(interpolated(input, 160));
  });

  it('starts from silence again after reset', () => {
    const interpolator = new HalfBandInterpolator();
    const out = new Int16Array(320);
    interpolator.interpolateInto(tone8k(1000, AMPLITUDE).subarray(0, 160), out);
    interpolator.reset();
    interpolator.interpolateInto(new Int16Array(160), out);
    expect(out.every((sample) => sample === 0)).toBe(true);
  });
});
