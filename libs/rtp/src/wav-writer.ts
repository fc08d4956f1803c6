// A streaming WAV writer for recordings: the header goes out first with placeholder sizes, frames are
// appended as they come, and close() writes the real sizes and fsyncs before it returns. A writer that
// dies before close() leaves a file whose samples are all there but whose header says 0 bytes: repairWav()
// turns it into a valid WAV from the file's length and says it was partial.
import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { InvalidWavFormatError, NotARepairableWavError } from './errors.js';
import {
  assertWavFormat,
  blockAlign,
  buildWavHeader,
  parseWavHeader,
  WAV_HEADER_BYTES,
  type WavFormat,
} from './wav-format.js';

/** The largest data chunk a RIFF size field can describe. */
const MAX_DATA_BYTES = 0xffffffff - 36;

export class WavWriter {
  private dataBytes = 0;
  private closed = false;
  /** The first failed write (e.g. ENOSPC): later appends and close() reject with it. */
  private failure: Error | undefined;
  /** Appends run one after another: a later write never overtakes an earlier one. */
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: FileHandle,
    readonly path: string,
    readonly format: WavFormat,
  ) {}

  /** Creates (or truncates) `path` and writes the header with placeholder sizes. */
  static async open(path: string, format: { sampleRate: number; channels: number }): Promise<WavWriter> {
    assertWavFormat(format);
    const file = await open(path, 'w');
    try {
      await file.write(buildWavHeader(format, 0), 0, WAV_HEADER_BYTES, 0);
    } catch (error) {
      await file.close();
      throw error;
    }
    return new WavWriter(file, path, format);
  }

  /** Samples written so far, per channel. */
  get frames(): number {
    return this.dataBytes / blockAlign(this.format);
  }

  get durationMs(): number {
    return (this.frames * 1000) / this.format.sampleRate;
  }

  /** Appends interleaved 16-bit samples (left, right, left, … for 2 channels): whole frames only. */
  append(samples: Int16Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path}: append after close`));
    if (this.failure) return Promise.reject(this.failure);
    if (samples.length % this.format.channels !== 0)
      return Promise.reject(
        new InvalidWavFormatError(
          `${samples.length} samples do not fill whole frames of ${this.format.channels} channels`,
          { reason: 'partialFrame' },
        ),
      );
    const bytes = samples.length * 2;
    if (this.dataBytes + bytes > MAX_DATA_BYTES)
      return Promise.reject(new InvalidWavFormatError(`${this.path}: over 4 GiB`, { reason: 'tooLong' }));
    const position = WAV_HEADER_BYTES + this.dataBytes;
    this.dataBytes += bytes;
    const data = littleEndianBytes(samples);
    return this.enqueue(async () => {
      await this.file.write(data, 0, data.length, position);
    });
  }

  /** Runs `operation` after everything queued before it; the first failure fails every later one. */
  private enqueue(operation: () => Promise<void>): Promise<void> {
    const run = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      try {
        await operation();
      } catch (error) {
        this.failure ??= error instanceof Error ? error : new Error(String(error));
        throw error;
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Cuts the data to its first `dataBytes` (whole frames, at most what was appended), after every write
   * queued before: a recorder trims the end of a recording (a terminator key, trailing silence). Later
   * appends continue from the new end.
   */
  truncate(dataBytes: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path}: truncate after close`));
    if (this.failure) return Promise.reject(this.failure);
    if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > this.dataBytes)
      return Promise.reject(
        new InvalidWavFormatError(
          `${this.path}: cannot truncate ${this.dataBytes} data bytes to ${dataBytes}`,
          {
            reason: 'truncateRange',
          },
        ),
      );
    if (dataBytes % blockAlign(this.format) !== 0)
      return Promise.reject(
        new InvalidWavFormatError(`${dataBytes} bytes do not end on a whole frame`, {
          reason: 'partialFrame',
        }),
      );
    this.dataBytes = dataBytes;
    return this.enqueue(() => this.file.truncate(WAV_HEADER_BYTES + dataBytes));
  }

  /**
   * Writes the real sizes, fsyncs and closes; the file is a complete WAV when this resolves. After a failed
   * write it only closes the file and rejects with that failure: the header then still says 0 bytes, and
   * repairWav() recovers what reached the disk.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.queue;
      if (this.failure) throw this.failure;
      await this.file.write(buildWavHeader(this.format, this.dataBytes), 0, WAV_HEADER_BYTES, 0);
      await this.file.sync();
    } finally {
      await this.file.close();
    }
  }
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * WAV data is little-endian and Int16Array is in the platform's order: one block copy where they agree
 * (every platform Node runs on in practice; a recorder appends hundreds of times a second), byte by byte
 * where they differ. Always a copy: the caller may reuse its buffer as soon as append() returns.
 */
function littleEndianBytes(samples: Int16Array): Buffer {
  if (LITTLE_ENDIAN)
    return Buffer.from(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
  const bytes = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) bytes.writeInt16LE(samples[i]!, i * 2);
  return bytes;
}

export interface WavRepair extends WavFormat {
  /** True when the header did not describe the file (its writer never closed) or a partial frame was cut. */
  partial: boolean;
  dataBytes: number;
  durationMs: number;
  /** Bytes of a torn last frame that were cut off. */
  truncatedBytes: number;
}

/**
 * Makes a WAV this library wrote valid again after its writer crashed: sizes from the file's length, a
 * partial trailing frame truncated, fsynced. A file that was closed properly is left as it is
 * (partial: false). Throws NotARepairableWavError for a file without the canonical header.
 */
export async function repairWav(path: string): Promise<WavRepair> {
  const file = await open(path, 'r+');
  try {
    const header = Buffer.alloc(WAV_HEADER_BYTES);
    const { bytesRead } = await file.read(header, 0, WAV_HEADER_BYTES, 0);
    const parsed = parseWavHeader(header.subarray(0, bytesRead));
    if (typeof parsed === 'string')
      throw new NotARepairableWavError(`${path}: ${parsed}`, { path, reason: parsed });
    const { size } = await file.stat();
    const available = Math.min(size - WAV_HEADER_BYTES, MAX_DATA_BYTES);
    const align = blockAlign(parsed);
    const dataBytes = available - (available % align);
    const truncatedBytes = size - WAV_HEADER_BYTES - dataBytes;
    const partial =
      truncatedBytes > 0 || parsed.dataBytes !== dataBytes || parsed.riffBytes !== 36 + dataBytes;
    if (partial) {
      if (truncatedBytes > 0) await file.truncate(WAV_HEADER_BYTES + dataBytes);
      await file.write(buildWavHeader(parsed, dataBytes), 0, WAV_HEADER_BYTES, 0);
      await file.sync();
    }
    return {
      sampleRate: parsed.sampleRate,
      channels: parsed.channels,
      partial,
      dataBytes,
      durationMs: (dataBytes / align / parsed.sampleRate) * 1000,
      truncatedBytes,
    };
  } finally {
    await file.close();
  }
}
