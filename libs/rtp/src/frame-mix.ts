// Sums frames of 16-bit PCM (a mixer listener's mix, a media stream's mixed track): accumulate in 32 bits
// (three full-scale sources overflow 16 bits, never 32), then saturate to 16 bits, so a loud sum clips
// instead of wrapping round into noise.
// Pure and allocation-free: the caller owns the accumulator and the output frame and reuses them.

/** Writes the sum of `sources` (each at least `out.length` long) into `out`; no source: silence. */
export function mixFrames(sources: readonly Int16Array[], accumulator: Int32Array, out: Int16Array): void {
  const length = out.length;
  if (sources.length === 0) {
    out.fill(0);
    return;
  }
  if (sources.length === 1) {
    out.set(sources[0]!.subarray(0, length));
    return;
  }
  accumulator.set(sources[0]!.subarray(0, length));
  for (let s = 1; s < sources.length; s++) {
    const source = sources[s]!;
    for (let i = 0; i < length; i++) accumulator[i] = accumulator[i]! + source[i]!;
  }
  for (let i = 0; i < length; i++) {
    const sum = accumulator[i]!;
    out[i] = sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
  }
}
