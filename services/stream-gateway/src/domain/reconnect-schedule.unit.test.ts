import { reconnectDelay } from './reconnect-schedule.js';

/** The attempts' delays of one break when each attempt fails at once. */
function schedule(windowMs: number): number[] {
  const delays: number[] = [];
  let elapsed = 0;
  for (let attempt = 1; ; attempt++) {
    const delay = reconnectDelay(attempt, elapsed, windowMs);
    if (delay === undefined) return delays;
    delays.push(delay);
    elapsed += delay;
  }
}

describe('reconnect schedule', () => {
  it('starts at 250 ms and doubles up to 4 s', () => {
    expect(schedule(30_000)).toEqual([250, 500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 2250]);
  });

  it('never starts an attempt after the window, and makes the last one at its end', () => {
    for (const window of [200, 250, 1000, 15_000]) {
      const delays = schedule(window);
      expect(delays.reduce((a, b) => a + b, 0)).toBe(window);
    }
    expect(schedule(15_000)).toEqual([250, 500, 1000, 2000, 4000, 4000, 3250]);
    expect(schedule(200)).toEqual([200]);
    expect(schedule(0)).toEqual([]);
  });
});
