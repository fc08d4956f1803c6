// G.722 (ITU-T G.722, 64 kbit/s mode) decoding: 16 kHz audio from 8-bit codes, two sub-bands coded with
// ADPCM (6 bits for 0-4 kHz, 2 bits for 4-8 kHz) and recombined by a 24-tap QMF. One code gives two output
// samples, so 20 ms (160 codes, 160 RTP timestamp units: G.722's RTP clock is 8000 by RFC 3551's
// historical error) decodes to 320 samples. The decoder is stateful: one per stream, and a new one after a
// discontinuity. The tables are the Recommendation's.

/** 6-bit lower sub-band inverse quantiser outputs (mode 1, 64 kbit/s), indexed by the code. */
const QM6 = Int32Array.of(
  -136,
  -136,
  -136,
  -136,
  -24808,
  -21904,
  -19008,
  -16704,
  -14984,
  -13512,
  -12280,
  -11192,
  -10232,
  -9360,
  -8576,
  -7856,
  -7192,
  -6576,
  -6000,
  -5456,
  -4944,
  -4464,
  -4008,
  -3576,
  -3168,
  -2776,
  -2400,
  -2032,
  -1688,
  -1360,
  -1040,
  -728,
  24808,
  21904,
  19008,
  16704,
  14984,
  13512,
  12280,
  11192,
  10232,
  9360,
  8576,
  7856,
  7192,
  6576,
  6000,
  5456,
  4944,
  4464,
  4008,
  3576,
  3168,
  2776,
  2400,
  2032,
  1688,
  1360,
  1040,
  728,
  432,
  136,
  -432,
  -136,
);
/** 4-bit lower sub-band inverse quantiser outputs (the predictor adapts on these in every mode). */
const QM4 = Int32Array.of(
  0,
  -20456,
  -12896,
  -8968,
  -6288,
  -4240,
  -2584,
  -1200,
  20456,
  12896,
  8968,
  6288,
  4240,
  2584,
  1200,
  0,
);
/** 2-bit higher sub-band inverse quantiser outputs. */
const QM2 = Int32Array.of(-7408, -1616, 7408, 1616);
/** Lower sub-band log scale factor multipliers, via RL42 from the 4-bit code. */
const WL = Int32Array.of(-60, -30, 58, 172, 334, 538, 1198, 3042);
const RL42 = Int32Array.of(0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0);
/** Higher sub-band log scale factor multipliers, via RH2 from the 2-bit code. */
const WH = Int32Array.of(0, -214, 798);
const RH2 = Int32Array.of(2, 1, 2, 1);
/** The inverse log table of the scale factor: 2048 × 2^(i/32). */
const ILB = Int32Array.of(
  2048,
  2093,
  2139,
  2186,
  2233,
  2282,
  2332,
  2383,
  2435,
  2489,
  2543,
  2599,
  2656,
  2714,
  2774,
  2834,
  2896,
  2960,
  3025,
  3091,
  3158,
  3228,
  3298,
  3371,
  3444,
  3520,
  3597,
  3676,
  3756,
  3838,
  3922,
  4008,
);
/** Half of the symmetric 24-tap receive QMF. */
const QMF = Int32Array.of(3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11);

function saturate(value: number): number {
  return value > 32767 ? 32767 : value < -32768 ? -32768 : value;
}

/** One sub-band's adaptive predictor (two poles, six zeros) and scale factor. */
class SubBand {
  /** Signal estimate. */
  s = 0;
  sp = 0;
  sz = 0;
  /** Reconstructed signal, newest first. */
  readonly r = new Int32Array(3);
  /** Pole coefficients (index 1 and 2) and their update. */
  readonly a = new Int32Array(3);
  readonly ap = new Int32Array(3);
  /** Partially reconstructed signal, newest first. */
  readonly p = new Int32Array(3);
  /** Quantised differences, newest first. */
  readonly d = new Int32Array(7);
  /** Zero coefficients and their update. */
  readonly b = new Int32Array(7);
  readonly bp = new Int32Array(7);
  /** Log scale factor and scale factor. */
  nb = 0;
  det: number;

  constructor(initialDet: number) {
    this.det = initialDet;
  }

  /** Sets the scale factor from the log scale factor: ILB with a shift of `base - nb/2048`. */
  scale(base: number): void {
    const mantissa = ILB[(this.nb >> 6) & 31]!;
    const shift = base - (this.nb >> 11);
    this.det = (shift < 0 ? mantissa << -shift : mantissa >> shift) << 2;
  }

  /** The predictor update with quantised difference `d` (the Recommendation's block 4). */
  adapt(d: number): void {
    const { r, a, ap, p, b, bp } = this;
    this.d[0] = d;
    r[0] = saturate(this.s + d);
    p[0] = saturate(this.sz + d);

    // Second pole coefficient.
    const sign0 = p[0] >> 15;
    const sign1 = p[1]! >> 15;
    const sign2 = p[2]! >> 15;
    const a1x4 = saturate(a[1]! << 2);
    let wd2 = sign0 === sign1 ? -a1x4 : a1x4;
    if (wd2 > 32767) wd2 = 32767;
    let a2 = (wd2 >> 7) + (sign0 === sign2 ? 128 : -128) + ((a[2]! * 32512) >> 15);
    a2 = Math.max(-12288, Math.min(12288, a2));
    ap[2] = a2;

    // First pole coefficient, bounded by the second.
    let a1 = saturate((sign0 === sign1 ? 192 : -192) + ((a[1]! * 32640) >> 15));
    const bound = saturate(15360 - a2);
    a1 = Math.max(-bound, Math.min(bound, a1));
    ap[1] = a1;

    // Zero coefficients: sign-sign adaptation with leakage.
    const step = d === 0 ? 0 : 128;
    const signD = d >> 15;
    for (let i = 1; i < 7; i++) {
      const same = this.d[i]! >> 15 === signD;
      bp[i] = saturate((same ? step : -step) + ((b[i]! * 32640) >> 15));
    }

    // Delay line.
    for (let i = 6; i > 0; i--) {
      this.d[i] = this.d[i - 1]!;
      b[i] = bp[i]!;
    }
    for (let i = 2; i > 0; i--) {
      r[i] = r[i - 1]!;
      p[i] = p[i - 1]!;
      a[i] = ap[i]!;
    }

    // New prediction: poles, zeros, sum.
    this.sp = saturate(((a[1]! * saturate(r[1]! + r[1]!)) >> 15) + ((a[2]! * saturate(r[2]! + r[2]!)) >> 15));
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += (b[i]! * saturate(this.d[i]! + this.d[i]!)) >> 15;
    this.sz = saturate(sz);
    this.s = saturate(this.sp + this.sz);
  }
}

/** A G.722 decoder for one stream (64 kbit/s mode: every code carries 6 + 2 bits). */
export class G722Decoder {
  private readonly low = new SubBand(32);
  private readonly high = new SubBand(8);
  /** The QMF's input history: (low + high, low − high) pairs, oldest first. */
  private readonly history = new Int32Array(24);

  /** 8-bit codes → 16 kHz samples, two per code. */
  decode(codes: Uint8Array): Int16Array {
    const out = new Int16Array(codes.length * 2);
    this.decodeInto(codes, out);
    return out;
  }

  /**
   * Like decode, into `out` (at least twice as long as `codes`) from index 0, without allocating: a mixer
   * decodes every packet into one reused frame. Returns how many samples it wrote.
   */
  decodeInto(codes: Uint8Array, out: Int16Array): number {
    const { low, high, history } = this;
    for (let n = 0; n < codes.length; n++) {
      const code = codes[n]!;
      const lowCode = code & 0x3f;
      const highCode = code >> 6;
      const lowCode4 = lowCode >> 2;

      // Lower sub-band: output from the 6-bit code, adaptation from its top 4 bits.
      const rlow = Math.max(-16384, Math.min(16383, low.s + ((low.det * QM6[lowCode]!) >> 15)));
      const dlow = (low.det * QM4[lowCode4]!) >> 15;
      low.nb = Math.max(0, Math.min(18432, ((low.nb * 127) >> 7) + WL[RL42[lowCode4]!]!));
      low.scale(8);
      low.adapt(dlow);

      // Higher sub-band.
      const dhigh = (high.det * QM2[highCode]!) >> 15;
      const rhigh = Math.max(-16384, Math.min(16383, dhigh + high.s));
      high.nb = Math.max(0, Math.min(22528, ((high.nb * 127) >> 7) + WH[RH2[highCode]!]!));
      high.scale(10);
      high.adapt(dhigh);

      // Receive QMF: two output samples per pair of sub-band samples.
      history.copyWithin(0, 2);
      history[22] = rlow + rhigh;
      history[23] = rlow - rhigh;
      let even = 0;
      let odd = 0;
      for (let i = 0; i < 12; i++) {
        even += history[2 * i]! * QMF[i]!;
        odd += history[2 * i + 1]! * QMF[11 - i]!;
      }
      out[2 * n] = saturate(odd >> 11);
      out[2 * n + 1] = saturate(even >> 11);
    }
    return codes.length * 2;
  }
}
