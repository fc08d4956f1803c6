// The deterministic test signal the WAV tests write and check: every sample tells where it belongs.

/** Sample `frame` of `channel`: distinct per channel and position, full 16-bit range, never the same twice in a row. */
export function signalSample(frame: number, channel: number): number {
  const value = ((frame * 37 + channel * 20011) % 65536) - 32768;
  return value;
}

/** `frames` interleaved frames of the signal, from frame `first`. */
export function signalFrames(first: number, frames: number, channels: number): Int16Array {
  const samples = new Int16Array(frames * channels);
  for (let f = 0; f < frames; f++)
    for (let c = 0; c < channels; c++) samples[f * channels + c] = signalSample(first + f, c);
  return samples;
}
