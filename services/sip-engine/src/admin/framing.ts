/**
 * Admin-channel framing: `<decimal byte length>#<payload>`, back to back on a TCP stream that may split or
 * merge frames anywhere (even inside the length digits). The length counts UTF-8 bytes, never UTF-16 units:
 * counting characters desynchronised older srf versions on accented display names.
 */

/** Largest payload we accept from an app. The real server caps at 5 digits (99 999 bytes); we are lenient. */
export const DEFAULT_MAX_FRAME_BYTES = 1_000_000;
const MAX_LENGTH_DIGITS = 8;
const HASH = 0x23;

export class FramingError extends Error {
  readonly code = 'ADMIN_FRAMING';
  override readonly name = 'FramingError';
}

export interface FrameDecoderOptions {
  /** @default DEFAULT_MAX_FRAME_BYTES */
  maxFrameBytes?: number;
}

/** Incremental decoder; `push` returns every payload completed by the chunk. Throws FramingError on garbage. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly maxFrameBytes: number;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  push(chunk: Buffer): string[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const frames: string[] = [];
    let offset = 0;
    for (;;) {
      const hash = this.buffer.indexOf(HASH, offset);
      if (hash < 0) {
        if (this.buffer.length - offset > MAX_LENGTH_DIGITS) throw new FramingError('frame length too long');
        this.checkDigits(offset, this.buffer.length);
        break;
      }
      this.checkDigits(offset, hash);
      if (hash === offset) throw new FramingError('frame length missing');
      if (hash - offset > MAX_LENGTH_DIGITS) throw new FramingError('frame length too long');
      const length = Number(this.buffer.toString('latin1', offset, hash));
      if (length > this.maxFrameBytes) throw new FramingError(`frame of ${length} bytes exceeds the limit`);
      const end = hash + 1 + length;
      if (end > this.buffer.length) break;
      frames.push(this.buffer.toString('utf8', hash + 1, end));
      offset = end;
    }
    this.buffer = offset === 0 ? this.buffer : this.buffer.subarray(offset);
    if (this.buffer.length === 0) this.buffer = Buffer.alloc(0);
    return frames;
  }

  private checkDigits(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const c = this.buffer[i]!;
      if (c < 0x30 || c > 0x39) throw new FramingError('non-digit in frame length');
    }
  }
}

/** Encodes one payload as a frame, counting bytes. */
export function encodeFrame(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}#`, 'latin1'), body]);
}
