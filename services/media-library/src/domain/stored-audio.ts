// What the library stores: one format, the one rtpengine plays best. rtpengine decodes a WAV of 16-bit PCM
// without any codec library, and transcodes from it to whatever the call negotiated. 16 kHz keeps wideband
// calls (G.722, Opus) wideband, while the worker's G.711 calls resample 16 → 8 kHz cheaply; a narrowband
// source gains nothing from 16 kHz, so it is stored at 8 kHz (half the bytes).
import { ValidationError } from './errors.js';

export const WIDEBAND_HZ = 16_000;
export const NARROWBAND_HZ = 8_000;
export type StoredRateHz = typeof WIDEBAND_HZ | typeof NARROWBAND_HZ;

/** 16 kHz for a source of 16 kHz or more, else 8 kHz. */
export function storedRateFor(sourceRateHz: number): StoredRateHz {
  return sourceRateHz >= WIDEBAND_HZ ? WIDEBAND_HZ : NARROWBAND_HZ;
}

export interface PcmWav {
  sampleRateHz: number;
  channels: number;
  bitsPerSample: number;
  /** Offset and length of the samples (the data chunk). */
  dataOffset: number;
  dataBytes: number;
  /** From the sample count, rounded to the millisecond. */
  durationMs: number;
}

/**
 * Reads a PCM WAV's header (RIFF chunks up to `data`). Anything else, or a WAV that is not 16-bit PCM mono,
 * is refused: the converted file must be exactly what the contract promises.
 */
export function readPcmWav(wav: Uint8Array): PcmWav {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const tag = (at: number) => String.fromCharCode(...wav.subarray(at, at + 4));
  if (wav.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE')
    throw new ValidationError('converted audio is not a WAV file');
  let format: Omit<PcmWav, 'dataOffset' | 'dataBytes' | 'durationMs'> | undefined;
  for (let at = 12; at + 8 <= wav.length;) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ' && at + 24 <= wav.length) {
      if (view.getUint16(at + 8, true) !== 1) throw new ValidationError('converted audio is not PCM');
      format = {
        channels: view.getUint16(at + 10, true),
        sampleRateHz: view.getUint32(at + 12, true),
        bitsPerSample: view.getUint16(at + 22, true),
      };
    } else if (id === 'data') {
      if (!format) throw new ValidationError('WAV data chunk before its fmt chunk');
      if (format.channels !== 1 || format.bitsPerSample !== 16)
        throw new ValidationError('converted audio is not 16-bit mono');
      const dataOffset = at + 8;
      const dataBytes = Math.min(size, wav.length - dataOffset);
      const samples = Math.floor(dataBytes / 2);
      return {
        ...format,
        dataOffset,
        dataBytes,
        durationMs: Math.round((samples * 1000) / format.sampleRateHz),
      };
    }
    at += 8 + size + (size % 2);
  }
  throw new ValidationError('WAV without a data chunk');
}
