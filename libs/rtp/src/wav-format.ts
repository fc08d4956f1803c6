// The canonical 44-byte WAV header (RIFF, `fmt ` of 16 bytes, PCM, then `data`) that the writer produces
// and the repair reads back. Pure.
import { InvalidWavFormatError } from './errors.js';

export const WAV_HEADER_BYTES = 44;

export interface WavFormat {
  sampleRate: 8000 | 16000;
  channels: 1 | 2;
}

/** Bytes per frame (one sample of every channel), 16-bit PCM. */
export function blockAlign(format: WavFormat): number {
  return format.channels * 2;
}

export function assertWavFormat(format: {
  sampleRate: number;
  channels: number;
}): asserts format is WavFormat {
  if (format.sampleRate !== 8000 && format.sampleRate !== 16000)
    throw new InvalidWavFormatError(`sample rate must be 8000 or 16000, got ${format.sampleRate}`, {
      reason: 'sampleRate',
    });
  if (format.channels !== 1 && format.channels !== 2)
    throw new InvalidWavFormatError(`channels must be 1 or 2, got ${format.channels}`, {
      reason: 'channels',
    });
}

/** The header for `dataBytes` of samples (0 as the placeholder while a recording is running). */
export function buildWavHeader(format: WavFormat, dataBytes: number): Buffer {
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(format.channels, 22);
  header.writeUInt32LE(format.sampleRate, 24);
  header.writeUInt32LE(format.sampleRate * blockAlign(format), 28);
  header.writeUInt16LE(blockAlign(format), 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

export interface ParsedWavHeader extends WavFormat {
  /** What the header's data chunk size says (0 for a writer that never closed). */
  dataBytes: number;
  /** What the header's RIFF size says. */
  riffBytes: number;
}

/** Reads a canonical header; a string instead names what does not match (for the caller's error). */
export function parseWavHeader(header: Uint8Array): ParsedWavHeader | string {
  if (header.length < WAV_HEADER_BYTES) return `${header.length} bytes, a header has 44`;
  const bytes = Buffer.from(header.buffer, header.byteOffset, WAV_HEADER_BYTES);
  if (bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE')
    return 'no RIFF/WAVE signature';
  if (bytes.toString('ascii', 12, 16) !== 'fmt ' || bytes.readUInt32LE(16) !== 16)
    return 'no 16-byte fmt chunk at offset 12';
  if (bytes.readUInt16LE(20) !== 1 || bytes.readUInt16LE(34) !== 16) return 'not 16-bit PCM';
  if (bytes.toString('ascii', 36, 40) !== 'data') return 'no data chunk at offset 36';
  const format = { sampleRate: bytes.readUInt32LE(24), channels: bytes.readUInt16LE(22) };
  if (
    (format.sampleRate !== 8000 && format.sampleRate !== 16000) ||
    (format.channels !== 1 && format.channels !== 2)
  )
    return `unsupported format ${format.sampleRate} Hz × ${format.channels}`;
  return {
    sampleRate: format.sampleRate,
    channels: format.channels,
    dataBytes: bytes.readUInt32LE(40),
    riffBytes: bytes.readUInt32LE(4),
  };
}
