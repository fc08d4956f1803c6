import { genericFigures } from './figures';

describe('generic figures', () => {
  it.each([
    [
      'reads "name p50 x ms p99 y ms" as two figures and leaves the target aside',
      'single append           p50 1.10 ms  p99 3.10 ms  (target p99 <= 5 ms, ratio 1.61x)',
      [
        { name: 'single append p50', value: 1.1, unit: 'ms' },
        { name: 'single append p99', value: 3.1, unit: 'ms' },
      ],
    ],
    [
      'reads a rate and a time per message, and a bound',
      'parse INVITE with SDP                           123456 msgs/s    8.10 µs/msg\n' +
        '  engine + srf UAS      >= 1300 cps (target >= 400)',
      [
        { name: 'parse INVITE with SDP', value: 123456, unit: 'msgs/s' },
        { name: 'parse INVITE with SDP', value: 8.1, unit: 'µs/msg' },
        { name: 'engine + srf UAS', value: 1300, unit: 'cps' },
      ],
    ],
    [
      'skips counts that are not figures, and numbers a repeated name',
      'batched append          31234 events/s, 4 writers x 100/append\n' +
        'concurrent appends      8 in flight, 1 event each: 5000 appends/s  p50 1.20 ms\n' +
        'concurrent appends      16 in flight, 1 event each: 6000 appends/s  p50 2.40 ms',
      [
        { name: 'batched append', value: 31234, unit: 'events/s' },
        { name: 'concurrent appends', value: 5000, unit: 'appends/s' },
        { name: 'concurrent appends p50', value: 1.2, unit: 'ms' },
        { name: 'concurrent appends #2', value: 6000, unit: 'appends/s' },
        { name: 'concurrent appends p50 #2', value: 2.4, unit: 'ms' },
      ],
    ],
    [
      'reads counts of packets and recordings, not the other numbers in their line',
      '  N200 lost by the recorder     0 packets (kernel drops at its sockets 0, 2000 received)\n' +
        '  most concurrent recordings without loss at the recorder  >= 400 recordings (target >= 200)',
      [
        { name: 'N200 lost by the recorder', value: 0, unit: 'packets' },
        { name: 'most concurrent recordings without loss at the recorder', value: 400, unit: 'recordings' },
      ],
    ],
  ] as const)('%s', (_label, output, figures) => expect(genericFigures(output)).toEqual(figures));

  it('reads nothing from lines without a name or a unit', () =>
    expect(genericFigures('500 calls, 8 in flight\nratio parse+txn / parse (INVITE): 0.81\n')).toEqual([]));
});
