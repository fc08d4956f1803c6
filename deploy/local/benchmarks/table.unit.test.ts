import { compareRuns, renderTable, spread } from './table';

const fig = (name: string, value: number, unit = 'ms') => ({ name, value, unit });

describe('bench-compare table', () => {
  it('takes the median of an odd and of an even number of runs', () => {
    expect(spread([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, runs: 3 });
    expect(spread([4, 1, 3, 2])).toMatchObject({ median: 2.5 });
  });

  it('gives the ratio head / base of the medians', () =>
    expect(
      compareRuns(
        [[fig('p99', 10)], [fig('p99', 20)], [fig('p99', 30)]],
        [[fig('p99', 5)], [fig('p99', 15)], [fig('p99', 10)]],
      ),
    ).toEqual([
      {
        name: 'p99',
        unit: 'ms',
        base: { median: 20, min: 10, max: 30, runs: 3 },
        head: { median: 10, min: 5, max: 15, runs: 3 },
        ratio: 0.5,
      },
    ]));

  it('keeps a figure only one revision printed, without a ratio', () =>
    expect(compareRuns([[fig('old', 1)]], [[fig('new', 2)]])).toEqual([
      {
        name: 'old',
        unit: 'ms',
        base: { median: 1, min: 1, max: 1, runs: 1 },
        head: undefined,
        ratio: undefined,
      },
      {
        name: 'new',
        unit: 'ms',
        base: undefined,
        head: { median: 2, min: 2, max: 2, runs: 1 },
        ratio: undefined,
      },
    ]));

  it('has no ratio to a base of 0', () =>
    expect(
      compareRuns([[fig('failed', 0, 'calls')]], [[fig('failed', 3, 'calls')]])[0]?.ratio,
    ).toBeUndefined());

  it('prints median, range, the runs that had the figure, and the ratio', () => {
    const rows = compareRuns([[fig('p99', 10.5)], [fig('p99', 12.5)]], [[fig('p99', 11.5)]]);
    expect(renderTable(rows, { base: 'b', head: 'h' }, 2).split('\n')).toEqual([
      'figure  unit            base b           head h  head/base',
      'p99     ms    11.5 (10.5–12.5)  11.5 [1/2 runs]       1.00',
    ]);
  });
});
