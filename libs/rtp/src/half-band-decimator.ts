// 16 kHz → 8 kHz for a wideband stream (G.722) heard by a narrowband consumer (the mixer's 8 kHz mix).
// Dropping every other sample would fold 4-8 kHz into the band (a sibilant or a 5 kHz tone would be heard
// at 3 kHz), so the input first goes through a low-pass FIR: a half-band filter (cut-off fs/4 = 4 kHz, where
// decimation by two puts the new Nyquist), whose every other tap is zero, Kaiser-windowed: flat to 3.4 kHz
// (the telephone band), at least 60 dB down from 4.6 kHz (what would fold back to 3.4 kHz and below).
// Stateful (the filter's history spans packets): one per stream, reset() after a discontinuity. Nothing is
// allocated per call: the history is a doubled ring, so the window of the latest TAPS samples is always
// contiguous.

/** Filter length: odd, centre tap at (TAPS - 1) / 2, an odd index, so the half-band zeros fall on even offsets. */
export const HALF_BAND_TAPS = 63;
const TAPS = HALF_BAND_TAPS;
const CENTRE = (TAPS - 1) / 2;
const KAISER_BETA = 6;

/** I0, the modified Bessel function of the first kind (Kaiser window), by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; term > 1e-12 * sum; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/** The non-zero taps (the centre and the odd offsets from it), normalised to a DC gain of 1. */
function halfBandTaps(): { index: Int32Array; weight: Float64Array } {
  const index: number[] = [];
  const weight: number[] = [];
  for (let n = 0; n < TAPS; n++) {
    const offset = n - CENTRE;
    if (offset !== 0 && offset % 2 === 0) continue;
    const sinc = offset === 0 ? 0.5 : Math.sin((Math.PI * offset) / 2) / (Math.PI * offset);
    const ratio = offset / CENTRE;
    index.push(n);
    weight.push((sinc * besselI0(KAISER_BETA * Math.sqrt(1 - ratio * ratio))) / besselI0(KAISER_BETA));
  }
  const gain = weight.reduce((a, b) => a + b, 0);
  return { index: Int32Array.from(index), weight: Float64Array.from(weight, (w) => w / gain) };
}

/** The filter's non-zero taps (DC gain 1): the interpolator (half-band-interpolator.ts) uses them too. */
export const HALF_BAND = halfBandTaps();
const { index: TAP_INDEX, weight: TAP_WEIGHT } = HALF_BAND;

/** Delay the filter adds, in input (16 kHz) samples: 31, about 1.9 ms. */
export const HALF_BAND_DELAY_SAMPLES = CENTRE;

export class HalfBandDecimator {
  /** The latest TAPS input samples, written twice (at i and i + TAPS) so a window never wraps. */
  private readonly history = new Float64Array(2 * TAPS);
  private position = 0;
  /** Whether the next input sample completes a pair (one output per two inputs). */
  private odd = false;

  /**
   * Filters the first `length` samples of `input` (16 kHz; all of it by default: a length, not a subarray,
   * so a reused buffer costs no view per call) and writes one sample per two into `out` (8 kHz) from index
   * 0; returns how many it wrote. An odd length leaves its phase for the next call. `out` holds at least
   * ceil(length / 2).
   */
  decimateInto(input: Int16Array, out: Int16Array, length = input.length): number {
    const { history } = this;
    let written = 0;
    for (let i = 0; i < length; i++) {
      const sample = input[i]!;
      history[this.position] = sample;
      history[this.position + TAPS] = sample;
      this.position = this.position + 1 === TAPS ? 0 : this.position + 1;
      this.odd = !this.odd;
      if (this.odd) continue;
      // The window oldest-first starts at `position` (the slot the next sample overwrites).
      let sum = 0;
      for (let t = 0; t < TAP_INDEX.length; t++)
        sum += history[this.position + TAP_INDEX[t]!]! * TAP_WEIGHT[t]!;
      const rounded = Math.round(sum);
      out[written++] = rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
    }
    return written;
  }

  /** Forgets the history: a new stream (or a discontinuity in this one) starts from silence. */
  reset(): void {
    this.history.fill(0);
    this.position = 0;
    this.odd = false;
  }
}
