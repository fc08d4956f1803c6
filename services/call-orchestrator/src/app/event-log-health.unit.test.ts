import { isEventLogUnavailable } from '@callctl/eventstore';
import { EventLogHealth } from './event-log-health';

function health(answers: boolean[]) {
  let now = 0;
  const pings: number[] = [];
  const h = new EventLogHealth({
    ping: () => (pings.push(now), answers.shift() ? Promise.resolve() : Promise.reject(new Error('down'))),
    pingTtlMs: 250,
    clock: () => now,
  });
  return { h, pings, advance: (ms: number) => (now += ms) };
}

describe('event log health', () => {
  it('asks nothing while reads and appends succeed', async () => {
    const { h, pings } = health([]);
    await h.ensureWritable();
    h.succeeded();
    await h.ensureWritable();
    expect(pings).toEqual([]);
  });

  it('after a failure, refuses while the log does not answer, sharing one ping per interval', async () => {
    const { h, pings, advance } = health([false, false]);
    h.failed();
    const refusals = await Promise.all(
      [h.ensureWritable(), h.ensureWritable()].map((p) => p.catch((e) => e)),
    );
    expect(refusals.every(isEventLogUnavailable)).toBe(true);
    advance(300);
    await expect(h.ensureWritable()).rejects.toThrow('event log (PostgreSQL) unavailable');
    expect(pings).toEqual([0, 300]);
  });

  it('trusts the log again once a ping answers', async () => {
    const { h, pings, advance } = health([true]);
    h.failed();
    await h.ensureWritable();
    advance(1000);
    await h.ensureWritable();
    expect(pings).toEqual([0]);
  });

  it('does not let a ping from before a failure vouch for the log after it', async () => {
    const { h, pings, advance } = health([true, false]);
    h.failed();
    await h.ensureWritable();
    advance(10);
    h.failed();
    await expect(h.ensureWritable()).rejects.toThrow();
    expect(pings).toEqual([0, 10]);
  });
});
