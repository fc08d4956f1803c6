import { createLogger } from '@callctl/logging';
import { parseCidr } from '@callctl/sip';
import { captureLog } from '../../test/support/captured-log.js';
import { ManualClock } from '../core/manual-clock.js';
import { FloodGuard, type FloodGuardOptions } from './flood-guard.js';

const silent = createLogger({ service: 'sip-engine-test', level: 'silent' });

function guard(options: FloodGuardOptions = {}, log = silent) {
  const clock = new ManualClock();
  // Start inside a window, not on its edge, so "within one sample" is unambiguous.
  clock.advance(10_000);
  return { clock, flood: new FloodGuard(options, clock, log) };
}

/** Sends `n` requests from `address`; returns how many were let through. */
function burst(flood: FloodGuard, address: string, n: number): number {
  let passed = 0;
  for (let i = 0; i < n; i++) if (flood.check(address) === 'pass') passed += 1;
  return passed;
}

describe('flood guard (Kamailio defaults: 16 requests per 2 s, banned 300 s)', () => {
  it('lets 16 requests of one sample through and bans the source at the 17th', () => {
    const { flood } = guard();
    expect(burst(flood, '192.0.2.1', 16)).toBe(16);
    expect(flood.check('192.0.2.1')).toBe('drop');
    expect(flood.status().bans.map((b) => b.address)).toEqual(['192.0.2.1']);
  });

  it('drops everything from a banned source, counted against its ban', () => {
    const { flood } = guard();
    burst(flood, '192.0.2.1', 17);
    expect(burst(flood, '192.0.2.1', 5)).toBe(0);
    expect(flood.dropIfBanned('192.0.2.1')).toBe(true);
    expect(flood.status()).toMatchObject({ bansTotal: 1, droppedTotal: 7 });
    expect(flood.status().bans[0]!.dropped).toBe(6);
  });

  it('leaves other sources alone while one is banned', () => {
    const { flood } = guard();
    burst(flood, '192.0.2.1', 40);
    expect(burst(flood, '192.0.2.2', 16)).toBe(16);
    expect(flood.dropIfBanned('192.0.2.2')).toBe(false);
  });

  it('counts afresh in each sample: 16 per window for ever is no flood', () => {
    const { clock, flood } = guard();
    for (let window = 0; window < 10; window++) {
      expect(burst(flood, '192.0.2.1', 16)).toBe(16);
      clock.advance(2000);
    }
    expect(flood.status().bansTotal).toBe(0);
  });

  it('lifts the ban after 300 s and logs both ends', () => {
    const captured = captureLog();
    const { clock, flood } = guard({}, captured.log);
    burst(flood, '192.0.2.1', 17);
    clock.advance(299_999);
    expect(flood.check('192.0.2.1')).toBe('drop');
    clock.advance(1);
    expect(flood.status().bans).toEqual([]);
    expect(flood.check('192.0.2.1')).toBe('pass');
    expect(captured.lines().map((l) => l.msg)).toEqual([
      'flood ban: source sent too many requests',
      'flood ban lifted',
    ]);
    expect(captured.lines()[0]).toMatchObject({ address: '192.0.2.1', requests: 17, banMs: 300_000 });
    expect(captured.lines()[1]).toMatchObject({ address: '192.0.2.1', dropped: 1 });
  });

  it('takes its thresholds from options', () => {
    const { clock, flood } = guard({ sampleMs: 1000, maxRequestsPerSample: 3, banMs: 5000 });
    expect(burst(flood, '192.0.2.1', 4)).toBe(3);
    expect(flood.status().bans[0]).toMatchObject({
      since: new Date(10_000).toISOString(),
      until: new Date(15_000).toISOString(),
    });
    clock.advance(5000);
    expect(burst(flood, '192.0.2.1', 3)).toBe(3);
  });

  it('never counts nor bans an exempt source', () => {
    const { flood } = guard({ exempt: [parseCidr('127.0.0.1/32'), parseCidr('10.0.0.0/8')] });
    expect(burst(flood, '127.0.0.1', 1000)).toBe(1000);
    expect(burst(flood, '10.1.2.3', 1000)).toBe(1000);
    expect(burst(flood, '127.0.0.5', 17)).toBe(16);
    expect(flood.status().bans.map((b) => b.address)).toEqual(['127.0.0.5']);
  });

  it('is off with a limit of 0', () => {
    const { flood } = guard({ maxRequestsPerSample: 0 });
    expect(burst(flood, '192.0.2.1', 1000)).toBe(1000);
    expect(flood.status()).toMatchObject({ enabled: false, bansTotal: 0 });
  });

  it('stops tracking new sources past its table size, so spoofed sources cannot grow it', () => {
    const { flood } = guard({ maxTrackedSources: 2 });
    burst(flood, '192.0.2.1', 1);
    burst(flood, '192.0.2.2', 1);
    expect(burst(flood, '192.0.2.3', 100)).toBe(100);
    expect(burst(flood, '192.0.2.1', 20)).toBe(15);
  });
});
