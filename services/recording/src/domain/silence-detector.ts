// Voice activity for segments (voicemail-style recordings that end on silence): energy only, per 20 ms
// frame of the mixed audio. A frame whose RMS over all its samples (both channels of a dual file) is below
// SILENCE_THRESHOLD_DBFS is silence. -40 dBFS (RMS 328 of 32768) sits well above G.711's idle noise and
// a quiet line's background (-55 to -70 dBFS) and well below speech (about -30 to -15 dBFS), so it needs no
// calibration; a party shouting over loud noise simply keeps the segment going longer.

export const SILENCE_THRESHOLD_DBFS = -40;

/** Mean square a frame must reach to be voiced, for a threshold in dBFS (full scale = 32768). */
export function meanSquareThreshold(thresholdDbfs: number): number {
  const amplitude = 32768 * 10 ** (thresholdDbfs / 20);
  return amplitude * amplitude;
}

/** RMS level of `count` samples from `offset`, in dBFS (-Infinity for digital silence). */
export function rmsDbfs(samples: Int16Array, offset = 0, count = samples.length - offset): number {
  if (count <= 0) return -Infinity;
  return 10 * Math.log10(meanSquare(samples, offset, count) / (32768 * 32768));
}

function meanSquare(samples: Int16Array, offset: number, count: number): number {
  let sum = 0;
  for (let i = offset; i < offset + count; i++) sum += samples[i]! * samples[i]!;
  return sum / count;
}

/**
 * Counts continuous silence over the frames it is shown (not the paused ones: a pause is not the caller
 * falling silent). `push` says whether the frame was voiced; `timedOut` turns true once `timeoutMs` of
 * continuous silence has been seen, counted from the first frame too (a caller who never speaks).
 */
export class SilenceDetector {
  private readonly threshold: number;
  private silentFrames = 0;

  constructor(
    private readonly timeoutMs: number,
    private readonly frameMs: number,
    thresholdDbfs = SILENCE_THRESHOLD_DBFS,
  ) {
    if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
    this.threshold = meanSquareThreshold(thresholdDbfs);
  }

  /** One frame (`count` samples from `offset`); true when it is voiced. */
  push(samples: Int16Array, offset = 0, count = samples.length - offset): boolean {
    const voiced = count > 0 && meanSquare(samples, offset, count) >= this.threshold;
    this.silentFrames = voiced ? 0 : this.silentFrames + 1;
    return voiced;
  }

  /** Continuous silence so far, in ms. */
  get silentMs(): number {
    return this.silentFrames * this.frameMs;
  }

  get timedOut(): boolean {
    return this.silentMs >= this.timeoutMs;
  }
}
