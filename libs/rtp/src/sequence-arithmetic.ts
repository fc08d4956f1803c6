// Serial-number arithmetic for RTP (RFC 3550 §A.1 / RFC 1982): sequence numbers wrap at 2^16 and
// timestamps at 2^32, so "later" is the shorter way round the circle, never a plain `>`.

/** b − a as a signed distance on the 16-bit circle, in [-32768, 32767]: positive when b is after a. */
export function sequenceDistance(a: number, b: number): number {
  return ((((b - a) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/** b − a as a signed distance on the 32-bit circle: positive when b is after a. */
export function timestampDistance(a: number, b: number): number {
  return (b - a) | 0;
}

/** The sequence number `n` steps after `a`, wrapped. */
export function sequenceAdd(a: number, n: number): number {
  return (a + n) & 0xffff;
}

/** The timestamp `n` units after `a`, wrapped. */
export function timestampAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
