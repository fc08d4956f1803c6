import { createLogLimiter } from './log-limiter.js';

describe('createLogLimiter', () => {
  it('admits one line per reason per interval and tells how many were kept quiet', () => {
    let now = 0;
    const limiter = createLogLimiter(10_000, () => now);
    expect(limiter.admit('unknown-peer')).toBe(0);
    expect(limiter.admit('unknown-peer')).toBeUndefined();
    expect(limiter.admit('oversize')).toBe(0);
    now = 9_999;
    expect(limiter.admit('unknown-peer')).toBeUndefined();
    now = 10_000;
    expect(limiter.admit('unknown-peer')).toBe(2);
    expect(limiter.admit('unknown-peer')).toBeUndefined();
  });
});
