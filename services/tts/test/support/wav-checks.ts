import { parseWav } from '../../src/domain/wav.js';

export interface WavFacts {
  sampleRateHz: number;
  channels: number;
  bitsPerSample: number;
  durationMs: number;
  /** Share of 20 ms frames whose RMS is above 300 (of 32767): speech, not silence or hiss. */
  voicedShare: number;
  /** The header's sizes agree with the file's length. */
  sizesConsistent: boolean;
}

/** What a test needs to know about a stored WAV. */
export function wavFacts(bytes: Uint8Array): WavFacts {
  const { format, data } = parseWav(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const samples = new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
  const frame = Math.round(format.sampleRateHz / 50);
  let frames = 0;
  let voiced = 0;
  for (let at = 0; at + frame <= samples.length; at += frame) {
    let sum = 0;
    for (let i = at; i < at + frame; i++) sum += samples[i]! * samples[i]!;
    frames++;
    if (Math.sqrt(sum / frame) > 300) voiced++;
  }
  return {
    sampleRateHz: format.sampleRateHz,
    channels: format.channels,
    bitsPerSample: format.bitsPerSample,
    durationMs: Math.round((samples.length / format.sampleRateHz) * 1000),
    voicedShare: frames ? voiced / frames : 0,
    sizesConsistent:
      view.getUint32(4, true) === bytes.length - 8 && view.getUint32(40, true) === bytes.length - 44,
  };
}

/** A plausible length of speech for the words at 120-220 words a minute, with room for pauses. */
export function plausibleSpeechMs(words: number): { min: number; max: number } {
  return { min: (words / 220) * 60_000 * 0.6, max: (words / 120) * 60_000 + 1500 };
}
