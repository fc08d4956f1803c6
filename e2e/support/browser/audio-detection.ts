// What the page's WebAudio frames (e2e/browser-page/audio-meter.ts) say was heard: a steady tone, or
// speech. Pure, so the thresholds are unit-tested on made-up frames.
import type { AudioReading } from '../../browser-page/spectrum.js';

export type { AudioReading };

/** Quieter than this (about -46 dBFS) is silence or comfort noise. */
export const AUDIBLE_RMS = 0.005;

/** Most of the last frames are audible and carry more than `minShare` of their power at `hz`. */
export function toneHeard(frames: readonly AudioReading[], hz: number, minShare = 0.5): boolean {
  if (frames.length < 4) return false;
  const toned = frames.filter((f) => f.rms > AUDIBLE_RMS && (f.toneShare[hz] ?? 0) > minShare);
  return toned.length >= frames.length * 0.6;
}

/**
 * Speech: enough audible frames whose loudest frequency moves around (voiced sounds, formants and
 * pauses), unlike a tone or a beep, whose loudest bin stays put.
 */
export function speechHeard(frames: readonly AudioReading[], minAudibleFrames = 8): boolean {
  const audible = frames.filter((f) => f.rms > AUDIBLE_RMS);
  if (audible.length < minAudibleFrames) return false;
  const peaks = new Set(audible.map((f) => Math.round(f.dominantHz / 50)));
  return peaks.size >= 4;
}
