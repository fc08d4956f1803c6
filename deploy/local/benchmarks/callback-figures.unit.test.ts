import { benchFigures } from './figures';

// Lines as e2e/bench/callback.bench.ts prints them (a step row, its continuation, the summary).
const OUTPUT = [
  'callback benchmark (IIF round trip at 20/s for 30 s; ladder 5,10 callbacks/s, 30 s each; 2 cores, load average 0.50 0.40 0.30)',
  '    rate callbacks acked-ok  bridged ended-ok failed RESPONSEs ACK-p50 ACK-p99 RESP-p50 RESP-p99 cb-cpu cb-pg orch-cpu orch-pg platform cb/orch cb-rss  step',
  '  iif 20/s       600      600      600      600      0       600    1.20    4.50     1500     1900   2.10  0.80     3.20    1.10    12.40    0.66  110.2  ok',
  '      cpu ms/callback: callback 2.10 orch 3.20; busiest (of one core): orch 7%; box 30%; callback peak rss 115.0 MiB',
  '     10/s       300      300      299      298      2       299    1.10       -     1450     1800   2.00  0.70     3.10    1.00    12.00    0.65  111.0  FAIL',
  '',
  'summary',
  '  callbacks/s sustained (0 failed, kept up)   5 callbacks/s (ladder 5,10; failed per step 5/s: 0, 10/s: 2)',
  '  IIF REQUEST -> ACK (at 20/s, 600 ACKs of 600)   p50 1.20 ms, p99 4.50 ms, max 9.80 ms (target p99 <= 20 ms)',
  '  callback CPU per callback (at 20/s)   2.10 ms/callback',
  '  ratio callback / orchestrator CPU per callback (at 20/s)   0.66',
].join('\n');

describe('callback benchmark figures', () => {
  const figures = benchFigures('e2e/bench/callback.bench.ts', OUTPUT);
  const named = (name: string) => figures.find((f) => f.name === name);

  it('names each column of a step row by the step (the IIF round trip apart from the ladder)', () => {
    expect(named('iif 20/s callbacks')).toEqual({ name: 'iif 20/s callbacks', value: 600, unit: '' });
    expect(named('iif 20/s ACK p99')).toEqual({ name: 'iif 20/s ACK p99', value: 4.5, unit: 'ms' });
    expect(named('iif 20/s cpu callback')).toEqual({
      name: 'iif 20/s cpu callback',
      value: 2.1,
      unit: 'ms/callback',
    });
    expect(named('iif 20/s cpu callback / orchestrator')?.value).toBe(0.66);
    expect(named('iif 20/s rss callback')).toEqual({
      name: 'iif 20/s rss callback',
      value: 110.2,
      unit: 'MiB',
    });
    expect(named('10/s failed')?.value).toBe(2);
    expect(named('10/s bridged')?.value).toBe(299);
    expect(named('10/s passed (1 ok, 0 SLOW or FAIL)')?.value).toBe(0);
  });

  it('leaves out a column printed as -', () => expect(named('10/s ACK p99')).toBeUndefined());

  it('reads the summary by the generic rule, per callback as a unit', () => {
    expect(named('callbacks/s sustained')).toEqual({
      name: 'callbacks/s sustained',
      value: 5,
      unit: 'callbacks/s',
    });
    expect(named('IIF REQUEST -> ACK p99')).toEqual({
      name: 'IIF REQUEST -> ACK p99',
      value: 4.5,
      unit: 'ms',
    });
    expect(named('IIF REQUEST -> ACK max')?.value).toBe(9.8);
    expect(named('callback CPU per callback')).toEqual({
      name: 'callback CPU per callback',
      value: 2.1,
      unit: 'ms/callback',
    });
  });

  it('reads no figure from the header, the continuation lines or a ratio without a unit', () =>
    expect(figures.map((f) => f.name).filter((name) => !/^(iif )?\d+\/s /.test(name))).toEqual([
      'callbacks/s sustained',
      'IIF REQUEST -> ACK p50',
      'IIF REQUEST -> ACK p99',
      'IIF REQUEST -> ACK max',
      'callback CPU per callback',
    ]));
});
