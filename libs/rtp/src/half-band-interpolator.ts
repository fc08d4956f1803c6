// 8 kHz → 16 kHz for a narrowband stream (G.711) that a wideband consumer takes (an L16 16 kHz media
// stream). Repeating or linearly interpolating samples leaves images of the band above 4 kHz (a 1 kHz
// tone comes with one at 7 kHz), so the input is zero-stuffed to 16 kHz and goes through the same
// half-band low-pass as the decimator (cut-off 4 kHz, ≥ 60 dB down from 4.6 kHz), with a gain of two for
// the zeros put in. Stateful (the filter's history spans packets): one per stream, reset() after a
// discontinuity. Nothing is allocated per call.
import { HALF_BAND, HALF_BAND_TAPS } from './half-band-decimator.js';

const TAPS = HALF_BAND_TAPS;
const TAP_INDEX = HALF_BAND.index;
/** Doubled: half of the zero-stuffed signal is zeros. */
const TAP_WEIGHT = HALF_BAND.weight.map((w) => 2 * w);

/** Delay the filter adds, in output (16 kHz) samples: 31, about 1.9 ms. */
export const HALF_BAND_INTERPOLATOR_DELAY_SAMPLES = (TAPS - 1) / 2;

export class HalfBandInterpolator {
  /** The latest TAPS zero-stuffed samples, written twice (at i and i + TAPS) so a window never wraps. */
  private readonly history = new Float64Array(2 * TAPS);
  private position = 0;

  /**
   * Writes two 16 kHz samples per input sample of the first `length` samples of `input` into `out` from
   * index 0 (`out` holds at least 2 × length); returns how many it wrote.
   */
  interpolateInto(input: Int16Array, out: Int16Array, length = input.length): number {
    let written = 0;
    for (let i = 0; i < length; i++) {
      out[written++] = this.push(input[i]!);
      out[written++] = this.push(0);
    }
    return written;
  }

  /** Forgets the history: a new stream (or a discontinuity in this one) starts from silence. */
  reset(): void {
    this.history.fill(0);
    this.position = 0;
  }

  private push(sample: number): number {
    const { history } = this;
    history[this.position] = sample;
    history[this.position + TAPS] = sample;
    this.position = this.position + 1 === TAPS ? 0 : this.position + 1;
    let sum = 0;
    for (let t = 0; t < TAP_INDEX.length; t++)
      sum += history[this.position + TAP_INDEX[t]!]! * TAP_WEIGHT[t]!;
    const rounded = Math.round(sum);
    return rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
  }
}
