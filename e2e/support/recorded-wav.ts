// A downloaded recording as the tests look at it: the WAV header checked, each channel's samples, and
// windows of a channel at 8 kHz for the tone detector (toneRatio works at 8 kHz; a 16 kHz channel is
// decimated, which keeps the tones the tests use, all far below 4 kHz).
import { parseWavHeader, WAV_HEADER_BYTES } from '@callctl/rtp';

export interface RecordedWav {
  readonly sampleRate: number;
  readonly channels: number;
  /** One Int16Array per channel. */
  readonly samples: readonly Int16Array[];
  readonly durationMs: number;
}

export function readRecordedWav(bytes: Buffer): RecordedWav {
  const header = parseWavHeader(bytes.subarray(0, WAV_HEADER_BYTES));
  if (typeof header === 'string') throw new Error(`not a WAV the recorder writes: ${header}`);
  const data = bytes.subarray(WAV_HEADER_BYTES);
  if (header.dataBytes !== data.length)
    throw new Error(`the header says ${header.dataBytes} data bytes, the file has ${data.length}`);
  const frames = data.length / 2 / header.channels;
  const samples = Array.from({ length: header.channels }, () => new Int16Array(frames));
  for (let i = 0; i < frames; i++)
    for (let c = 0; c < header.channels; c++)
      samples[c]![i] = data.readInt16LE((i * header.channels + c) * 2);
  return {
    sampleRate: header.sampleRate,
    channels: header.channels,
    samples,
    durationMs: (frames * 1000) / header.sampleRate,
  };
}

/** Samples of one channel between two offsets (ms), at 8 kHz. */
export function window8k(wav: RecordedWav, channel: number, fromMs: number, toMs: number): number[] {
  const step = wav.sampleRate / 8000;
  const from = Math.floor((fromMs * wav.sampleRate) / 1000);
  const to = Math.min(wav.samples[channel]!.length, Math.floor((toMs * wav.sampleRate) / 1000));
  const out: number[] = [];
  for (let i = from; i < to; i += step) out.push(wav.samples[channel]![i]!);
  return out;
}

/** Root mean square of a window, in 16-bit units (0 = digital silence). */
export function rms(samples: readonly number[]): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const x of samples) sum += x * x;
  return Math.sqrt(sum / samples.length);
}
