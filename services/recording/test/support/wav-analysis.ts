// Reading a recorder's WAV in the tests: one channel, a stretch of it, its level, and whether a tone is in
// it (toneRatio, Goertzel, works at 8 kHz: a 16 kHz channel is read every other sample).
import { readWav, toneRatio, type WavContents } from '@callctl/testing';

export interface Channel {
  sampleRate: number;
  samples: Int16Array;
}

export async function readChannels(path: string): Promise<{ wav: WavContents; channels: Channel[] }> {
  const wav = await readWav(path);
  const channels = Array.from({ length: wav.channels }, (_, c) => ({
    sampleRate: wav.sampleRate,
    samples: wav.samples.filter((_, i) => i % wav.channels === c),
  }));
  return { wav, channels };
}

/** The samples of [fromMs, toMs) of a channel. */
export function stretch(channel: Channel, fromMs: number, toMs: number): Channel {
  const at = (ms: number) => Math.max(0, Math.round((ms * channel.sampleRate) / 1000));
  return { sampleRate: channel.sampleRate, samples: channel.samples.subarray(at(fromMs), at(toMs)) };
}

export function durationMs(channel: Channel): number {
  return (channel.samples.length * 1000) / channel.sampleRate;
}

export function rms(channel: Channel): number {
  if (channel.samples.length === 0) return 0;
  let sum = 0;
  for (const sample of channel.samples) sum += sample * sample;
  return Math.sqrt(sum / channel.samples.length);
}

/** Share of the channel's power at `hz` (0 to 1). */
export function toneShare(channel: Channel, hz: number): number {
  const at8k = channel.sampleRate === 8000 ? channel.samples : channel.samples.filter((_, i) => i % 2 === 0);
  return toneRatio(Array.from(at8k), hz);
}

/**
 * Share of `hz` in each `windowMs` window that has sound (RMS over 1000): for audio cut and re-joined (a
 * party realigned to the clock), where a phase jump spoils one long Goertzel window but not short ones.
 */
export function windowedToneShares(channel: Channel, hz: number, windowMs = 100): number[] {
  const shares: number[] = [];
  for (let at = 0; at + windowMs <= durationMs(channel); at += windowMs) {
    const window = stretch(channel, at, at + windowMs);
    if (rms(window) > 1000) shares.push(toneShare(window, hz));
  }
  return shares;
}

/** Where the channel's sound starts (ms): the first 20 ms window louder than `threshold` RMS. */
export function soundStartsAtMs(channel: Channel, threshold = 1000): number | undefined {
  const window = (20 * channel.sampleRate) / 1000;
  for (let at = 0; at + window <= channel.samples.length; at += window / 4) {
    const slice = { sampleRate: channel.sampleRate, samples: channel.samples.subarray(at, at + window) };
    if (rms(slice) > threshold) return (at * 1000) / channel.sampleRate;
  }
  return undefined;
}

/** Where the channel's sound ends (ms): the end of the last 20 ms window louder than `threshold` RMS. */
export function soundEndsAtMs(channel: Channel, threshold = 1000): number | undefined {
  const window = (20 * channel.sampleRate) / 1000;
  for (let end = channel.samples.length; end - window >= 0; end -= window / 4) {
    const slice = { sampleRate: channel.sampleRate, samples: channel.samples.subarray(end - window, end) };
    if (rms(slice) > threshold) return (end * 1000) / channel.sampleRate;
  }
  return undefined;
}

/** The longest run of 20 ms windows quieter than `threshold` RMS: [startMs, lengthMs]. */
export function longestQuiet(channel: Channel, threshold = 100): { startMs: number; lengthMs: number } {
  const window = (20 * channel.sampleRate) / 1000;
  let best = { startMs: 0, lengthMs: 0 };
  let runStart = -1;
  for (let at = 0; at + window <= channel.samples.length; at += window) {
    const quiet =
      rms({ sampleRate: channel.sampleRate, samples: channel.samples.subarray(at, at + window) }) < threshold;
    if (quiet && runStart < 0) runStart = at;
    if ((!quiet || at + 2 * window > channel.samples.length) && runStart >= 0) {
      const end = quiet ? at + window : at;
      const lengthMs = ((end - runStart) * 1000) / channel.sampleRate;
      if (lengthMs > best.lengthMs) best = { startMs: (runStart * 1000) / channel.sampleRate, lengthMs };
      runStart = -1;
    }
  }
  return best;
}
