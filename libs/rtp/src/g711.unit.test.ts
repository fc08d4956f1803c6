import {
  ALAW_SILENCE,
  decodeAlaw,
  decodeG711Into,
  decodeMulaw,
  encodeAlaw,
  encodeG711Into,
  encodeMulaw,
  MULAW_SILENCE,
} from './g711.js';

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);
const RAMP = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

describe('G.711 μ-law', () => {
  it('decodes the known values of the code table', () => {
    // G.711 μ-law: 0xFF and 0x7F are ±0, 0x80/0x00 the extremes ±32124, 0xCE is 988.
    expect(Array.from(decodeMulaw(Uint8Array.of(0xff, 0x7f, 0x80, 0x00, 0xfe, 0x7e, 0xce)))).toEqual([
      0, 0, 32124, -32124, 8, -8, 988,
    ]);
    expect(decodeMulaw(Uint8Array.of(MULAW_SILENCE))[0]).toBe(0);
  });

  it('encodes known values, clipping beyond the largest code', () => {
    expect(Array.from(encodeMulaw(Int16Array.of(0, 1000, -1000, 32767, -32768)))).toEqual([
      0xff, 0xce, 0x4e, 0x80, 0x00,
    ]);
  });

  it('round-trips every code except negative zero', () => {
    const decoded = decodeMulaw(ALL_CODES);
    const again = encodeMulaw(decoded);
    for (let code = 0; code < 256; code++) expect(again[code]).toBe(code === 0x7f ? 0xff : code);
  });

  it('maps every sample into its own quantisation interval: monotonic, error at most half a step', () => {
    const decoded = decodeMulaw(encodeMulaw(RAMP));
    const wrong: number[] = [];
    for (let i = 1; i < RAMP.length; i++) if (decoded[i]! < decoded[i - 1]!) wrong.push(RAMP[i]!);
    for (let i = 0; i < RAMP.length; i++) {
      const x = RAMP[i]!;
      if (Math.abs(x) > 32124 + 512) continue; // clipped
      if (Math.abs(x - decoded[i]!) > 512) wrong.push(x);
    }
    expect(wrong).toEqual([]);
  });
});

describe('G.711 A-law', () => {
  it('decodes the known values of the code table', () => {
    // G.711 A-law: 0xD5/0x55 are ±8, 0xAA/0x2A the extremes ±32256, 0xFA is 1008.
    expect(Array.from(decodeAlaw(Uint8Array.of(0xd5, 0x55, 0xaa, 0x2a, 0xfa)))).toEqual([
      8, -8, 32256, -32256, 1008,
    ]);
    expect(decodeAlaw(Uint8Array.of(ALAW_SILENCE))[0]).toBe(8);
  });

  it('encodes known values, clipping beyond the largest code', () => {
    expect(Array.from(encodeAlaw(Int16Array.of(0, -1, 1000, -1001, 32767, -32768)))).toEqual([
      0xd5, 0x55, 0xfa, 0x7a, 0xaa, 0x2a,
    ]);
  });

  it('round-trips every code', () => {
    const again = encodeAlaw(decodeAlaw(ALL_CODES));
    for (let code = 0; code < 256; code++) expect(again[code]).toBe(code);
  });

  it('maps every sample into its own quantisation interval: monotonic, error at most half a step', () => {
    const decoded = decodeAlaw(encodeAlaw(RAMP));
    const wrong: number[] = [];
    for (let i = 1; i < RAMP.length; i++) if (decoded[i]! < decoded[i - 1]!) wrong.push(RAMP[i]!);
    for (let i = 0; i < RAMP.length; i++) {
      const x = RAMP[i]!;
      if (Math.abs(x) > 32256 + 512) continue;
      if (Math.abs(x - decoded[i]!) > 512) wrong.push(x);
    }
    expect(wrong).toEqual([]);
  });
});

describe('G.711 on a tone', () => {
  it('keeps a 1 kHz tone above 30 dB signal-to-quantisation-noise (μ-law and A-law)', () => {
    const tone = Int16Array.from({ length: 8000 }, (_, i) =>
      Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)),
    );
    for (const [encode, decode] of [
      [encodeMulaw, decodeMulaw],
      [encodeAlaw, decodeAlaw],
    ] as const) {
      const back = decode(encode(tone));
      let error = 0;
      let power = 0;
      for (let i = 0; i < tone.length; i++) {
        error += (tone[i]! - back[i]!) ** 2;
        power += tone[i]! ** 2;
      }
      expect(10 * Math.log10(power / error)).toBeGreaterThan(30);
    }
  });
});

describe('G.711 into reused arrays', () => {
  it('decodes and encodes like the allocating functions, both laws', () => {
    const codes = new Uint8Array(256).map((_, i) => i);
    const out = new Int16Array(256);
    decodeG711Into('PCMU', codes, out);
    expect(out).toEqual(decodeMulaw(codes));
    decodeG711Into('PCMA', codes, out);
    expect(out).toEqual(decodeAlaw(codes));
    const samples = new Int16Array(160).map((_, i) => Math.round(8000 * Math.sin(i / 3)));
    const bytes = new Uint8Array(160);
    encodeG711Into('PCMU', samples, bytes);
    expect(bytes).toEqual(encodeMulaw(samples));
    encodeG711Into('PCMA', samples, bytes);
    expect(bytes).toEqual(encodeAlaw(samples));
  });
});
