// The one audio format the tts service stores and serves: RIFF WAV, 16-bit signed little-endian PCM, mono.
// Pure: bytes in, bytes out (no node:* imports).

export const WAV_HEADER_BYTES = 44;
export const SAMPLE_RATES_HZ = [8000, 16000] as const;
export type SampleRateHz = (typeof SAMPLE_RATES_HZ)[number];

export interface PcmFormat {
  sampleRateHz: number;
  channels: number;
  bitsPerSample: number;
  /** 1 = integer PCM (WAVE_FORMAT_PCM); 0xfffe = WAVE_FORMAT_EXTENSIBLE. */
  formatTag: number;
}

export interface ParsedWav {
  format: PcmFormat;
  /** The samples: everything after the `data` chunk header (its declared size is ignored when it is a placeholder). */
  data: Uint8Array;
}

const ascii = (bytes: Uint8Array, at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));

/** A canonical 44-byte header followed by the samples (s16le mono). */
export function encodeWav(pcm: Uint8Array, sampleRateHz: number): Uint8Array {
  const out = new Uint8Array(WAV_HEADER_BYTES + pcm.length);
  const view = new DataView(out.buffer);
  const tag = (at: number, text: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = text.charCodeAt(i);
  };
  tag(0, 'RIFF');
  view.setUint32(4, 36 + pcm.length, true);
  tag(8, 'WAVE');
  tag(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRateHz, true);
  view.setUint32(28, sampleRateHz * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  tag(36, 'data');
  view.setUint32(40, pcm.length, true);
  out.set(pcm, WAV_HEADER_BYTES);
  return out;
}

/**
 * Reads a RIFF WAV: its format and samples. Streamed WAVs (espeak-ng --stdout) carry placeholder sizes, so
 * the data chunk is taken to run to the end of the bytes when its size says more than there is.
 */
export function parseWav(bytes: Uint8Array): ParsedWav {
  if (bytes.length < 12 || ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE') {
    throw new WavFormatError('not a RIFF WAVE file');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let format: PcmFormat | undefined;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = ascii(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new WavFormatError('fmt chunk too short');
      format = {
        formatTag: view.getUint16(body, true),
        channels: view.getUint16(body + 2, true),
        sampleRateHz: view.getUint32(body + 4, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!format) throw new WavFormatError('data chunk before fmt chunk');
      const end = Math.min(bytes.length, body + size);
      return { format, data: bytes.subarray(body, end - ((end - body) % 2)) };
    }
    at = body + size + (size % 2);
  }
  throw new WavFormatError('no data chunk');
}

/** True when the format is the one the service stores (s16le mono PCM at the given rate). */
export function isStoredFormat(format: PcmFormat, sampleRateHz: number): boolean {
  return (
    (format.formatTag === 1 || format.formatTag === 0xfffe) &&
    format.channels === 1 &&
    format.bitsPerSample === 16 &&
    format.sampleRateHz === sampleRateHz
  );
}

/** Length of s16le mono samples, rounded to the millisecond. */
export function pcmDurationMs(pcmBytes: number, sampleRateHz: number): number {
  return Math.round((pcmBytes / 2 / sampleRateHz) * 1000);
}

/** Duration of a stored WAV from its header (the canonical 44-byte one encodeWav writes). */
export function storedWavDurationMs(wav: Uint8Array): number {
  const parsed = parseWav(wav);
  return pcmDurationMs(parsed.data.length, parsed.format.sampleRateHz);
}

export class WavFormatError extends Error {
  override readonly name = 'WavFormatError';
}
