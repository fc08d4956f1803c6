// 20 ms frames of 16-bit samples ↔ `media` payloads: PCMU (G.711 μ-law) or L16 (little-endian, as the
// message set says; RFC 3551's L16 is big-endian, the WebSocket streams people use are not). Pure.
import { decodeG711Into, encodeG711Into } from '@callctl/rtp';
import type { MediaFormat } from './stream-spec.js';

/** Writes `samples` as the format's payload into `out` (160, 320 or 640 bytes); returns the bytes written. */
export function encodeFrameInto(format: MediaFormat, samples: Int16Array, out: Buffer): number {
  if (format.encoding === 'PCMU') {
    encodeG711Into('PCMU', samples, out);
    return samples.length;
  }
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i]!, 2 * i);
  return 2 * samples.length;
}

/** The samples of a payload in the format (any length; an odd trailing L16 byte is ignored). */
export function decodePayload(format: MediaFormat, payload: Uint8Array): Int16Array {
  if (format.encoding === 'PCMU') {
    const out = new Int16Array(payload.length);
    decodeG711Into('PCMU', payload, out);
    return out;
  }
  const count = payload.length >> 1;
  const out = new Int16Array(count);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true);
  return out;
}
