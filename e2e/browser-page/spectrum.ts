// Readings of one analyser frame, as pure functions of the arrays a WebAudio AnalyserNode fills, so that
// the page and its unit tests share them.

export interface AudioReading {
  /** Root mean square of the time-domain samples (full scale = 1). */
  rms: number;
  /** Centre of the frequency bin holding the most power. */
  dominantHz: number;
  /** Share of the frame's power within ±toneWidthHz of each frequency asked for, keyed by that frequency. */
  toneShare: Record<number, number>;
}

export function rms(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length);
}

/**
 * `decibels` is AnalyserNode.getFloatFrequencyData's output (dB per bin, bin i centred on i·binHz).
 * Power is summed from 50 Hz up, so that a DC offset or hum does not count.
 */
export function readSpectrum(
  decibels: ArrayLike<number>,
  binHz: number,
  tonesHz: readonly number[],
  toneWidthHz = 40,
): Pick<AudioReading, 'dominantHz' | 'toneShare'> {
  let total = 0;
  let best = 0;
  let bestBin = 0;
  const power: number[] = [];
  for (let i = 0; i < decibels.length; i++) {
    const db = decibels[i]!;
    const p = i * binHz < 50 || !Number.isFinite(db) ? 0 : 10 ** (db / 10);
    power.push(p);
    total += p;
    if (p > best) {
      best = p;
      bestBin = i;
    }
  }
  const toneShare: Record<number, number> = {};
  for (const hz of tonesHz) {
    let near = 0;
    for (let i = 0; i < power.length; i++) if (Math.abs(i * binHz - hz) <= toneWidthHz) near += power[i]!;
    toneShare[hz] = total > 0 ? near / total : 0;
  }
  return { dominantHz: bestBin * binHz, toneShare };
}
