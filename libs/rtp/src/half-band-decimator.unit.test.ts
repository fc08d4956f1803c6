import { HALF_BAND_DELAY_SAMPLES, HalfBandDecimator } from './half-band-decimator.js';

/** One second of a 16 kHz sine. */
function tone16k(frequency: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: 16000 }, (_, n) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * frequency * n) / 16000)),
  );
}

/** RMS of the 8 kHz output after the filter has settled (the first 10 ms dropped). */
function rmsAfterSettling(samples: Int16Array): number {
  let sum = 0;
  const from = 80;
  for (let i = from; i < samples.length; i++) sum += samples[i]! ** 2;
  return Math.sqrt(sum / (samples.length - from));
}

function decimated(input: Int16Array, chunk = 320): Int16Array {
  const decimator = new HalfBandDecimator();
  const out = new Int16Array(input.length / 2);
  let written = 0;
  for (let i = 0; i < input.length; i += chunk)
    written += decimator.decimateInto(input.subarray(i, i + chunk), out.subarray(written));
  expect(written).toBe(out.length);
  return out;
}

const dB = (ratio: number) => 20 * Math.log10(ratio);
const AMPLITUDE = 10000;
const SINE_RMS = AMPLITUDE / Math.SQRT2;

describe('HalfBandDecimator (16 kHz → 8 kHz)', () => {
  it.each([300, 700, 1300, 2000, 3000, 3400])('passes %i Hz within 0.5 dB', (frequency) => {
    expect(Math.abs(dB(rmsAfterSettling(decimated(tone16k(frequency, AMPLITUDE))) / SINE_RMS))).toBeLessThan(
      0.5,
    );
  });

  it.each([4600, 5000, 6000, 7000, 7900])(
    'takes %i Hz (which sample dropping would fold into the band) down by at least 60 dB',
    (frequency) => {
      expect(dB(rmsAfterSettling(decimated(tone16k(frequency, AMPLITUDE))) / SINE_RMS)).toBeLessThan(-60);
    },
  );

  it('keeps the tone where it was: 700 Hz in is 700 Hz out, delayed by half the filter', () => {
    const out = decimated(tone16k(700, AMPLITUDE));
    // Output n is input sample 2n + 1 delayed by HALF_BAND_DELAY_SAMPLES (31): a 16 kHz index.
    for (let n = 100; n < 200; n++) {
      const t = (2 * n + 1 - HALF_BAND_DELAY_SAMPLES) / 16000;
      expect(Math.abs(out[n]! - AMPLITUDE * Math.sin(2 * Math.PI * 700 * t))).toBeLessThan(60);
    }
  });

  it('gives the same output whatever the chunking (the history spans calls, an odd chunk keeps its phase)', () => {
    const input = tone16k(1000, AMPLITUDE);
    const whole = decimated(input, 16000);
    expect(decimated(input, 320)).toEqual(whole);
    const decimator = new HalfBandDecimator();
    const out = new Int16Array(8000);
    let written = 0;
    for (const [from, to] of [
      [0, 7],
      [7, 320],
      [320, 321],
      [321, 16000],
    ] as const)
      written += decimator.decimateInto(input.subarray(from, to), out.subarray(written));
    expect(written).toBe(8000);
    expect(out).toEqual(whole);
  });

  it('saturates instead of wrapping; reset() starts again from silence; a length bounds the input', () => {
    const decimator = new HalfBandDecimator();
    const loud = new Int16Array(320).fill(32767);
    const out = new Int16Array(160);
    decimator.decimateInto(loud, out);
    expect(out[159]).toBe(32767);
    decimator.reset();
    // Only the first 320 of the buffer count: the loud rest is not read.
    const quietThenLoud = new Int16Array(640).fill(32767, 320);
    expect(decimator.decimateInto(quietThenLoud, out, 320)).toBe(160);
    expect(out.every((s) => s === 0)).toBe(true);
  });
});
