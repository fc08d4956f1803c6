// Audio an endpoint sends back, in the stream's own format (PCMU, L16 8 or 16 kHz, payloads of any
// length), made into the 20 ms PCMU frames (8 kHz, 160 bytes) that are played into the call: L16 16 kHz
// through the half-band decimator, then μ-law; a remainder shorter than a frame is carried over to the
// next payload. Stateful per stream (the filter's history, the remainder); no I/O.
import { HalfBandDecimator, encodeG711Into } from '@callctl/rtp';
import { decodePayload } from './frame-encoding.js';
import type { MediaFormat } from './stream-spec.js';

export const PLAYOUT_FRAME_BYTES = 160;

export class EndpointAudio {
  private readonly decimator: HalfBandDecimator | undefined;
  /** A trailing odd byte of an L16 payload, carried to the next. */
  private oddByte: number | undefined;
  private pending = new Uint8Array(0);

  constructor(private readonly format: MediaFormat) {
    this.decimator = format.sampleRate === 16000 ? new HalfBandDecimator() : undefined;
  }

  /** The whole frames `payload` completes, in order. */
  push(payload: Uint8Array): Uint8Array[] {
    const pcmu = this.format.encoding === 'PCMU' ? payload : this.l16ToPcmu(payload);
    const joined = new Uint8Array(this.pending.length + pcmu.length);
    joined.set(this.pending);
    joined.set(pcmu, this.pending.length);
    const frames: Uint8Array[] = [];
    let at = 0;
    for (; at + PLAYOUT_FRAME_BYTES <= joined.length; at += PLAYOUT_FRAME_BYTES)
      frames.push(joined.slice(at, at + PLAYOUT_FRAME_BYTES));
    this.pending = joined.slice(at);
    return frames;
  }

  /** Forgets the remainder (`clear`: what was sent before it is not played). */
  reset(): void {
    this.pending = new Uint8Array(0);
    this.oddByte = undefined;
    this.decimator?.reset();
  }

  private l16ToPcmu(payload: Uint8Array): Uint8Array {
    let bytes = payload;
    if (this.oddByte !== undefined) {
      bytes = new Uint8Array(payload.length + 1);
      bytes[0] = this.oddByte;
      bytes.set(payload, 1);
      this.oddByte = undefined;
    }
    if (bytes.length % 2 === 1) this.oddByte = bytes[bytes.length - 1];
    let samples = decodePayload(this.format, bytes);
    if (this.decimator) {
      const narrow = new Int16Array(Math.ceil(samples.length / 2));
      samples = narrow.subarray(0, this.decimator.decimateInto(samples, narrow));
    }
    const out = new Uint8Array(samples.length);
    encodeG711Into('PCMU', samples, out);
    return out;
  }
}
