import { TimelineRing } from './timeline-ring.js';

const read = (ring: TimelineRing, n: number) => {
  const out = new Int16Array(n);
  ring.read(out, 0, n);
  return Array.from(out);
};

describe('TimelineRing', () => {
  it('rounds its capacity up to a power of two', () => {
    expect(new TimelineRing(3000).capacity).toBe(4096);
  });

  it('reads what was written at each position, in any order, and silence where nothing was', () => {
    const ring = new TimelineRing(16);
    expect(ring.write(4, Int16Array.of(5, 6))).toBe(0);
    expect(ring.write(0, Int16Array.of(1, 2))).toBe(0);
    expect(read(ring, 8)).toEqual([1, 2, 0, 0, 5, 6, 0, 0]);
    expect(ring.readPosition).toBe(8);
  });

  it('clears what it read, so a slot reused after wrapping starts silent', () => {
    const ring = new TimelineRing(4);
    ring.write(0, Int16Array.of(1, 2, 3, 4));
    expect(read(ring, 4)).toEqual([1, 2, 3, 4]);
    ring.write(5, Int16Array.of(9));
    expect(read(ring, 4)).toEqual([0, 9, 0, 0]);
  });

  it('drops what comes before the read position or beyond the capacity ahead of it, and counts it', () => {
    const ring = new TimelineRing(4);
    read(ring, 2);
    expect(ring.write(0, Int16Array.of(1, 2, 3, 4))).toBe(2); // positions 0 and 1 were read already
    expect(ring.write(-10, Int16Array.of(1))).toBe(1);
    expect(ring.write(4, Int16Array.of(5, 6, 7))).toBe(1); // 2..5 fit, 6 would wrap onto 2
    expect(read(ring, 4)).toEqual([3, 4, 5, 6]);
  });

  it('overwrites: the newest audio for a position wins', () => {
    const ring = new TimelineRing(8);
    ring.write(0, Int16Array.of(1, 1, 1));
    ring.write(1, Int16Array.of(2, 2, 2), 1, 1);
    expect(read(ring, 3)).toEqual([1, 2, 1]);
  });

  it('addresses positions beyond 2^32 correctly (a part longer than three days at 16 kHz)', () => {
    const ring = new TimelineRing(8);
    const far = 2 ** 33 + 3;
    (ring as unknown as { position: number }).position = far;
    ring.write(far + 1, Int16Array.of(7));
    expect(read(ring, 2)).toEqual([0, 7]);
  });
});
