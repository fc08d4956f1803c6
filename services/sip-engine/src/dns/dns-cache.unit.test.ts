import { ManualClock } from '../core/manual-clock.js';
import { DnsCache, type DnsQuery } from './dns-cache.js';
import { DnsError, type DnsAnswer } from './dns-records.js';

/** A query function answering from a script, counting the questions that reach it. */
function server(answer: (name: string) => DnsAnswer | Error) {
  const asked: string[] = [];
  const query: DnsQuery = (name, type) => {
    asked.push(`${type} ${name}`);
    const result = answer(name);
    return result instanceof Error ? Promise.reject(result) : Promise.resolve(result as never);
  };
  return { query, asked };
}

describe('DnsCache', () => {
  it('keeps an answer for its TTL and asks again once it has passed', async () => {
    const clock = new ManualClock();
    const { query, asked } = server(() => ({ records: ['192.0.2.1'], ttlS: 30 }));
    const cache = new DnsCache(query, clock);
    expect(await cache.lookup('gw.test', 'A')).toEqual(['192.0.2.1']);
    clock.advance(29_999);
    expect(await cache.lookup('GW.test', 'A')).toEqual(['192.0.2.1']);
    expect(asked).toHaveLength(1);
    clock.advance(1);
    await cache.lookup('gw.test', 'A');
    expect(asked).toHaveLength(2);
  });

  it('shares one question among lookups made while it is in flight', async () => {
    const { query, asked } = server(() => ({ records: [], ttlS: 0 }));
    const cache = new DnsCache(query, new ManualClock());
    await Promise.all([
      cache.lookup('x.test', 'SRV'),
      cache.lookup('x.test', 'SRV'),
      cache.lookup('x.test', 'A'),
    ]);
    expect(asked).toEqual(['SRV x.test', 'A x.test']);
  });

  it('does not keep an answer with TTL 0 or a failure (reported, seen as no records)', async () => {
    const failures: string[] = [];
    const { query, asked } = server((name) =>
      name === 'down.test' ? new DnsError('no answer in 2000 ms') : { records: ['192.0.2.1'], ttlS: 0 },
    );
    const cache = new DnsCache(query, new ManualClock(), (err, name) =>
      failures.push(`${name}: ${String(err)}`),
    );
    expect(await cache.lookup('down.test', 'A')).toEqual([]);
    expect(await cache.lookup('down.test', 'A')).toEqual([]);
    await cache.lookup('zero.test', 'A');
    await cache.lookup('zero.test', 'A');
    expect(asked).toHaveLength(4);
    expect(failures).toHaveLength(2);
    expect(cache.size).toBe(0);
  });
});
