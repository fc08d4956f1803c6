// G.711 (ITU-T G.711) μ-law and A-law: 8-bit logarithmic codes ↔ 16-bit linear samples. Decoding is one
// 256-entry table lookup per byte; encoding one lookup in a 64 Ki table indexed by the sample (built once at
// load, ~128 KiB for both laws), so a recorder decoding hundreds of streams does no per-sample branching.

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

/** The linear value of one μ-law code. */
function mulawCodeToLinear(code: number): number {
  const u = ~code & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + MULAW_BIAS) << ((u & 0x70) >> 4)) - MULAW_BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

/** The μ-law code of one linear sample: sign, 3-bit exponent (the segment), 4-bit mantissa, inverted. */
function linearToMulawCode(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(Math.abs(sample), MULAW_CLIP) + MULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  magnitude >>= exponent + 3;
  return ~(sign | (exponent << 4) | (magnitude & 0x0f)) & 0xff;
}

/** The linear value of one A-law code (even bits inverted on the wire: XOR 0x55). */
function alawCodeToLinear(code: number): number {
  const a = code ^ 0x55;
  const segment = (a & 0x70) >> 4;
  const mantissa = a & 0x0f;
  // Segment 0 is linear with step 2 (in 13-bit units); segment s ≥ 1 has step 2^s above 2^(s+4).
  const magnitude13 = segment === 0 ? (mantissa << 1) | 1 : ((mantissa << 1) | 0x21) << (segment - 1);
  const magnitude = magnitude13 << 3;
  return a & 0x80 ? magnitude : -magnitude;
}

/** The A-law code of one linear sample, from its 12-bit magnitude (13-bit value, sign apart). */
function linearToAlawCode(sample: number): number {
  const positive = sample >= 0;
  // ~sample for negatives: −1 → 0, so the negative range mirrors the positive one without a double zero.
  const magnitude = (positive ? sample : ~sample) >> 3;
  // Below 32 the first segment, step 2; above, segment s holds [2^(s+4), 2^(s+5)) with step 2^s.
  const segment = magnitude < 32 ? 0 : 31 - Math.clz32(magnitude) - 4;
  const code = (segment << 4) | ((magnitude >> Math.max(segment, 1)) & 0x0f);
  return (positive ? code | 0x80 : code) ^ 0x55;
}

function decodeTable(codeToLinear: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = codeToLinear(code);
  return table;
}

function encodeTable(linearToCode: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let sample = -32768; sample < 32768; sample++) table[sample & 0xffff] = linearToCode(sample);
  return table;
}

const MULAW_TO_LINEAR = decodeTable(mulawCodeToLinear);
const ALAW_TO_LINEAR = decodeTable(alawCodeToLinear);
const LINEAR_TO_MULAW = encodeTable(linearToMulawCode);
const LINEAR_TO_ALAW = encodeTable(linearToAlawCode);

function decodeWith(table: Int16Array, codes: Uint8Array): Int16Array {
  const samples = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) samples[i] = table[codes[i]!]!;
  return samples;
}

function encodeWith(table: Uint8Array, samples: Int16Array): Uint8Array {
  const codes = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) codes[i] = table[samples[i]! & 0xffff]!;
  return codes;
}

/** The two laws by their RTP encoding names (PCMU: μ-law, payload type 0; PCMA: A-law, payload type 8). */
export type G711Law = 'PCMU' | 'PCMA';

/**
 * Decodes `codes` into `out` (which must be at least as long) without allocating: for a mixer that decodes
 * every participant's packet each 20 ms into a frame it reuses.
 */
export function decodeG711Into(law: G711Law, codes: Uint8Array, out: Int16Array): void {
  const table = law === 'PCMU' ? MULAW_TO_LINEAR : ALAW_TO_LINEAR;
  for (let i = 0; i < codes.length; i++) out[i] = table[codes[i]!]!;
}

/** Encodes `samples` into `out` (at least as long) without allocating: a mixer's reused packet payload. */
export function encodeG711Into(law: G711Law, samples: Int16Array, out: Uint8Array): void {
  const table = law === 'PCMU' ? LINEAR_TO_MULAW : LINEAR_TO_ALAW;
  for (let i = 0; i < samples.length; i++) out[i] = table[samples[i]! & 0xffff]!;
}

/** μ-law bytes (PCMU, payload type 0) → 16-bit samples. */
export function decodeMulaw(codes: Uint8Array): Int16Array {
  return decodeWith(MULAW_TO_LINEAR, codes);
}

/** 16-bit samples → μ-law bytes. */
export function encodeMulaw(samples: Int16Array): Uint8Array {
  return encodeWith(LINEAR_TO_MULAW, samples);
}

/** A-law bytes (PCMA, payload type 8) → 16-bit samples. */
export function decodeAlaw(codes: Uint8Array): Int16Array {
  return decodeWith(ALAW_TO_LINEAR, codes);
}

/** 16-bit samples → A-law bytes. */
export function encodeAlaw(samples: Int16Array): Uint8Array {
  return encodeWith(LINEAR_TO_ALAW, samples);
}

/** The μ-law code of silence (linear 0): what a gap is filled with when the payload itself is kept. */
export const MULAW_SILENCE = 0xff;
/** The A-law code nearest silence (linear +8). */
export const ALAW_SILENCE = 0xd5;
