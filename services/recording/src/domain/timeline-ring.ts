// One party's audio on the recording's timeline, before it goes into the file: a ring of samples at the
// file's rate, addressed by absolute sample position (position 0 = the part's first sample). Payloads are
// written where their RTP timestamps put them, in any order; the recorder reads the ring one frame at a
// time, and what nobody wrote reads as silence (a gap, a lost packet, a party not talking yet). Pure.

export class TimelineRing {
  private readonly data: Int16Array;
  private readonly mask: number;
  /** The next position read; everything before it is gone. */
  private position = 0;

  /** `minCapacity` samples at least (rounded up to a power of two). */
  constructor(minCapacity: number) {
    let capacity = 1;
    while (capacity < minCapacity) capacity *= 2;
    this.data = new Int16Array(capacity);
    this.mask = capacity - 1;
  }

  get capacity(): number {
    return this.data.length;
  }

  get readPosition(): number {
    return this.position;
  }

  /**
   * Writes `count` samples of `samples` (from `offset`) at absolute `position`, over whatever was there. The
   * part before the read position (already read) and the part beyond the capacity ahead of it (would wrap
   * onto unread audio) are dropped; returns how many samples were dropped.
   */
  write(position: number, samples: Int16Array, offset = 0, count = samples.length - offset): number {
    let first = 0;
    let end = count;
    if (position < this.position) first = Math.min(count, this.position - position);
    const limit = this.position + this.data.length;
    if (position + end > limit) end = Math.max(first, limit - position);
    for (let i = first; i < end; i++) this.data[(position + i) & this.mask] = samples[offset + i]!;
    return count - (end - first);
  }

  /** Copies the next `count` samples into `out` at `outOffset`, clears them and moves past them. */
  read(out: Int16Array, outOffset: number, count: number): void {
    for (let i = 0; i < count; i++) {
      const at = (this.position + i) & this.mask;
      out[outOffset + i] = this.data[at]!;
      this.data[at] = 0;
    }
    this.position += count;
  }
}
