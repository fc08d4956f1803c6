// Sample arithmetic of the recorder's frames: mixing parties into one channel, interleaving two channels,
// and doubling a narrowband party's rate for a 16 kHz file. Pure and allocation-free: the callers own
// every buffer, so a clock tick over hundreds of recordings makes no garbage.

/**
 * Adds `count` samples of `source` (from `sourceOffset`) into `out` (from `outOffset`), clipped to 16 bits.
 * A mono mix is `out` zeroed, then each party added in turn.
 */
export function addClipped(
  out: Int16Array,
  outOffset: number,
  source: Int16Array,
  sourceOffset: number,
  count: number,
): void {
  for (let i = 0; i < count; i++) {
    const sum = out[outOffset + i]! + source[sourceOffset + i]!;
    out[outOffset + i] = sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum;
  }
}

/**
 * Writes `count` samples of `source` into every `channels`-th slot of `out`, starting at
 * `outOffset + channel`: the left (0) or right (1) channel of interleaved frames.
 */
export function interleaveChannel(
  out: Int16Array,
  outOffset: number,
  channel: number,
  channels: number,
  source: Int16Array,
  sourceOffset: number,
  count: number,
): void {
  let at = outOffset + channel;
  for (let i = 0; i < count; i++, at += channels) out[at] = source[sourceOffset + i]!;
}

/**
 * 2× upsampling by linear interpolation (8 kHz party in a 16 kHz file): each input sample is preceded by
 * the mean of it and the sample before (`previous`, the last sample of the stream's previous payload).
 * Writes 2 × input.length samples into `out` and returns the last input sample, the next call's
 * `previous`. Half a sample of delay (62 µs) is the price of not waiting for the next payload.
 */
export function upsample2x(input: Int16Array, out: Int16Array, previous: number): number {
  let last = previous;
  for (let i = 0; i < input.length; i++) {
    const sample = input[i]!;
    out[2 * i] = (last + sample) >> 1;
    out[2 * i + 1] = sample;
    last = sample;
  }
  return last;
}
