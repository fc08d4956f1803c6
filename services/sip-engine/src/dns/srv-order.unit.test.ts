import type { SrvRecord } from './dns-records.js';
import { orderSrv } from './srv-order.js';

const srv = (target: string, priority: number, weight: number): SrvRecord => ({
  target,
  priority,
  weight,
  port: 5060,
});

describe('orderSrv (RFC 2782)', () => {
  it('puts lower priorities first whatever the weights', () => {
    const ordered = orderSrv([srv('c', 30, 100), srv('a', 10, 0), srv('b', 20, 50)], () => 0.99);
    expect(ordered.map((r) => r.target)).toEqual(['a', 'b', 'c']);
  });

  it('draws within a priority in proportion to weight', () => {
    const records = [srv('light', 10, 10), srv('heavy', 10, 90)];
    let seed = 1;
    // A fixed linear congruential sequence: the same draws every run.
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const firsts = { light: 0, heavy: 0 };
    for (let i = 0; i < 2000; i++) firsts[orderSrv(records, random)[0]!.target as 'light' | 'heavy'] += 1;
    expect(firsts.heavy / 2000).toBeGreaterThan(0.85);
    expect(firsts.heavy / 2000).toBeLessThan(0.95);
  });

  it('keeps every record of a priority, zero weights included (picked when the draw is 0)', () => {
    expect(orderSrv([srv('w', 10, 5), srv('z', 10, 0)], () => 0).map((r) => r.target)).toEqual(['z', 'w']);
    expect(orderSrv([srv('w', 10, 5), srv('z', 10, 0)], () => 0.5).map((r) => r.target)).toEqual(['w', 'z']);
  });

  it('drops the "." target, which says the service is not offered', () => {
    expect(orderSrv([srv('.', 10, 0)])).toEqual([]);
  });
});
