import { Backoff, pause } from './backoff';

describe('Backoff', () => {
  it('doubles from initialMs and stays at maxMs', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    expect(Array.from({ length: 7 }, () => backoff.next())).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ initialMs: 50, maxMs: 5000, jitter: 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toBe(50);
  });

  it('spreads each wait by at most the jitter fraction and never above maxMs', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 400, jitter: 0.2, random: () => 0 });
    const high = new Backoff({ initialMs: 100, maxMs: 400, jitter: 0.2, random: () => 0.999999 });
    expect([low.next(), low.next(), low.next()]).toEqual([80, 160, 320]);
    expect([high.next(), high.next(), high.next()]).toEqual([120, 240, 400]);
  });

  it('rejects a policy that cannot back off', () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 10 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 100, maxMs: 10 })).toThrow(RangeError);
  });
});

describe('pause', () => {
  it('returns at once when aborted, without waiting out the delay', async () => {
    const stop = new AbortController();
    const waiting = pause(60_000, stop.signal);
    stop.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});
