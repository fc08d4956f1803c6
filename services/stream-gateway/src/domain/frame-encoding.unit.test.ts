import { decodeMulaw, toneRatio } from '@callctl/testing';
import { EndpointAudio } from './endpoint-audio.js';
import { decodePayload, encodeFrameInto } from './frame-encoding.js';
import { mediaFormat } from './stream-spec.js';

const tone = (frequency: number, rate: number, count: number) =>
  Int16Array.from({ length: count }, (_, n) =>
    Math.round(8000 * Math.sin((2 * Math.PI * frequency * n) / rate)),
  );

describe('frame encoding', () => {
  it('writes L16 little-endian and reads it back', () => {
    const format = mediaFormat('L16', 8000);
    const samples = Int16Array.from({ length: 160 }, (_, i) => (i - 80) * 300);
    const out = Buffer.alloc(320);
    expect(encodeFrameInto(format, samples, out)).toBe(320);
    expect(out.readInt16LE(0)).toBe(-24000);
    expect(out[2]).toBe((-23700 & 0xff) >>> 0);
    expect(decodePayload(format, out)).toEqual(samples);
  });

  it('writes PCMU as 160 μ-law bytes', () => {
    const out = Buffer.alloc(160);
    expect(encodeFrameInto(mediaFormat('PCMU', 8000), new Int16Array(160), out)).toBe(160);
    expect(out.every((b) => b === 0xff)).toBe(true);
  });
});

describe('EndpointAudio (audio back → 20 ms PCMU frames)', () => {
  it('cuts PCMU payloads of any length into frames and carries the remainder', () => {
    const audio = new EndpointAudio(mediaFormat('PCMU', 8000));
    expect(audio.push(new Uint8Array(100))).toHaveLength(0);
    expect(audio.push(new Uint8Array(300))).toHaveLength(2);
    expect(audio.push(new Uint8Array(80))).toHaveLength(1);
    audio.reset();
    expect(audio.push(new Uint8Array(159))).toHaveLength(0);
  });

  it('makes L16 16 kHz (odd-length payloads too) into 8 kHz PCMU that still carries the tone', () => {
    const audio = new EndpointAudio(mediaFormat('L16', 16000));
    const samples = tone(2000, 16000, 16000);
    const bytes = Buffer.alloc(samples.length * 2);
    samples.forEach((s, i) => bytes.writeInt16LE(s, 2 * i));
    const frames: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; at += 333) frames.push(...audio.push(bytes.subarray(at, at + 333)));
    expect(frames).toHaveLength(50);
    const decoded = frames.flatMap((f) => [...f].map(decodeMulaw));
    expect(toneRatio(decoded.slice(800), 2000)).toBeGreaterThan(0.9);
  });

  it('makes L16 8 kHz into PCMU frame for frame', () => {
    const audio = new EndpointAudio(mediaFormat('L16', 8000));
    expect(audio.push(new Uint8Array(640))).toHaveLength(2);
  });
});
