// A minimal WAV reader for tests, written from the RIFF layout rather than with @callctl/rtp's header parser,
// so that a mistake in the writer cannot be mirrored by the reader. Shared by libs/rtp and the recording service.
import { readFile } from 'node:fs/promises';

export interface WavContents {
  riffSize: number;
  audioFormat: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  dataSize: number;
  fileSize: number;
  samples: Int16Array;
}

export async function readWav(path: string): Promise<WavContents> {
  const bytes = await readFile(path);
  if (bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error(`${path}: not RIFF/WAVE`);
  let offset = 12;
  let fmt: Buffer | undefined;
  let data: Buffer | undefined;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = bytes.subarray(offset + 8, offset + 8 + size);
    if (id === 'fmt ') fmt = body;
    if (id === 'data') data = body;
    offset += 8 + size + (size % 2);
  }
  if (!fmt || !data) throw new Error(`${path}: no fmt or data chunk`);
  const samples = new Int16Array(data.length / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(i * 2);
  return {
    riffSize: bytes.readUInt32LE(4),
    audioFormat: fmt.readUInt16LE(0),
    channels: fmt.readUInt16LE(2),
    sampleRate: fmt.readUInt32LE(4),
    byteRate: fmt.readUInt32LE(8),
    blockAlign: fmt.readUInt16LE(12),
    bitsPerSample: fmt.readUInt16LE(14),
    dataSize: data.length,
    fileSize: bytes.length,
    samples,
  };
}
