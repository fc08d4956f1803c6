import { sequenceAdd, sequenceDistance, timestampAdd, timestampDistance } from './sequence-arithmetic.js';

describe('RTP serial-number arithmetic', () => {
  it('measures sequence distance the short way round 2^16', () => {
    expect(sequenceDistance(65535, 0)).toBe(1);
    expect(sequenceDistance(0, 65535)).toBe(-1);
    expect(sequenceDistance(65530, 5)).toBe(11);
    expect(sequenceDistance(100, 100)).toBe(0);
    expect(sequenceDistance(0, 32767)).toBe(32767);
    expect(sequenceDistance(0, 32768)).toBe(-32768);
    expect(sequenceAdd(65535, 1)).toBe(0);
  });

  it('measures timestamp distance the short way round 2^32', () => {
    expect(timestampDistance(0xffffff60, 0)).toBe(160);
    expect(timestampDistance(0, 0xffffff60)).toBe(-160);
    expect(timestampDistance(1000, 56)).toBe(-944);
    expect(timestampAdd(0xffffffff, 160)).toBe(159);
  });
});
