// `tone:<frequency_hz>:<duration_ms>` as a Play source (beeps: e.g. the recording announcement tone): the
// worker writes a 16-bit PCM mono 8 kHz WAV of that sine into its media cache once (rtpengine plays files
// only) and it plays like any other file.
import { buildWavHeader } from '@callctl/rtp';
import { ValidationError } from '../../domain/errors.js';
import type { MediaSources } from '../../app/ports.js';

export interface Tone {
  frequencyHz: number;
  durationMs: number;
}

/** What a tone may be: audible through G.711 (up to its 4 kHz Nyquist frequency), a beep not a prompt. */
export const TONE_LIMITS = { minHz: 100, maxHz: 4000, minMs: 20, maxMs: 5000 } as const;

const SAMPLE_RATE = 8000;
/** -10 dBFS peak: loud enough to hear over a call, with headroom for transcoding. */
const PEAK = Math.round(32767 * 10 ** (-10 / 20));
/** Linear fade in and out, so the tone starts and stops without a click. */
const FADE_MS = 5;

/** The tone a `tone:` source names; undefined for any other source; ValidationError for a bad one. */
export function parseToneSource(source: string): Tone | undefined {
  if (!source.startsWith('tone:')) return undefined;
  const parts = /^tone:(\d{1,6}):(\d{1,6})$/.exec(source);
  if (!parts) throw new ValidationError(`tone source must be tone:<frequency_hz>:<duration_ms>: ${source}`);
  const tone = { frequencyHz: Number(parts[1]), durationMs: Number(parts[2]) };
  const { minHz, maxHz, minMs, maxMs } = TONE_LIMITS;
  if (tone.frequencyHz < minHz || tone.frequencyHz > maxHz)
    throw new ValidationError(`tone frequency must be ${minHz}-${maxHz} Hz: ${source}`);
  if (tone.durationMs < minMs || tone.durationMs > maxMs)
    throw new ValidationError(`tone duration must be ${minMs}-${maxMs} ms: ${source}`);
  return tone;
}

/**
 * The WAV of a tone: 16-bit PCM, mono, 8 kHz, a cosine of PEAK amplitude (a cosine, so that 4000 Hz, the
 * Nyquist frequency, is the alternating ±PEAK and not all zeros) with FADE_MS ramps at both ends.
 */
export function toneWav(tone: Tone): Buffer {
  const samples = Math.round((SAMPLE_RATE * tone.durationMs) / 1000);
  const fade = (SAMPLE_RATE * FADE_MS) / 1000;
  const data = Buffer.alloc(samples * 2);
  for (let n = 0; n < samples; n++) {
    const gain = Math.min(1, n / fade, (samples - 1 - n) / fade);
    const value = PEAK * gain * Math.cos((2 * Math.PI * tone.frequencyHz * n) / SAMPLE_RATE);
    data.writeInt16LE(Math.round(value), 2 * n);
  }
  return Buffer.concat([buildWavHeader({ sampleRate: SAMPLE_RATE, channels: 1 }, data.length), data]);
}

/** Where made files are kept: the media cache rtpengine reads (UrlCache.resolveMade). */
export interface MadeMediaCache extends MediaSources {
  resolveMade(source: string, make: () => Promise<Buffer>): Promise<string>;
}

/**
 * The worker's media sources with `tone:` added: a tone is generated into the cache on its first play and
 * reused after (it is evicted like a download); every other source goes to `cache`.
 */
export function withTones(cache: MadeMediaCache): MediaSources {
  return {
    resolve: async (source) => {
      const tone = parseToneSource(source);
      if (tone === undefined) return cache.resolve(source);
      // The canonical form names the file, so tone:0440:400 and tone:440:400 share one.
      return cache.resolveMade(`tone:${tone.frequencyHz}:${tone.durationMs}`, () =>
        Promise.resolve(toneWav(tone)),
      );
    },
  };
}
