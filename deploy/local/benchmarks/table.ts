// bench-compare's table: each figure's median over the runs of each revision, its range, and the ratio.
import type { Figure } from './figures';

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Runs that printed the figure (a ladder step a run did not reach is missing from it). */
  readonly runs: number;
}

export interface Row {
  readonly name: string;
  readonly unit: string;
  readonly base?: Spread;
  readonly head?: Spread;
  /** head median / base median; undefined when either is missing or the base is 0. */
  readonly ratio?: number;
}

export function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** One row per figure either revision printed, in the order they were first printed. */
export function compareRuns(baseRuns: readonly Figure[][], headRuns: readonly Figure[][]): Row[] {
  // A figure is its name and its unit: one line can give the same name in two units (msgs/s, µs/msg).
  const key = (f: Figure) => `${f.name}\u0000${f.unit}`;
  const order = new Map<string, Figure>();
  for (const figure of [...baseRuns, ...headRuns].flat()) {
    if (!order.has(key(figure))) order.set(key(figure), figure);
  }
  const valuesOf = (runs: readonly Figure[][], k: string) =>
    runs.flatMap((run) => run.filter((f) => key(f) === k).map((f) => f.value));
  return [...order].map(([k, { name, unit }]) => {
    const base = spread(valuesOf(baseRuns, k));
    const head = spread(valuesOf(headRuns, k));
    const ratio = base && head && base.median !== 0 ? head.median / base.median : undefined;
    return { name, unit, base, head, ratio };
  });
}

const num = (n: number) => {
  const abs = Math.abs(n);
  if (Number.isInteger(n) || abs >= 100) return n.toFixed(0);
  return abs >= 10 ? n.toFixed(1) : n.toFixed(2);
};

function cell(s: Spread | undefined, runs: number): string {
  if (!s) return '-';
  const range = s.min === s.max ? '' : ` (${num(s.min)}–${num(s.max)})`;
  const partial = s.runs < runs ? ` [${s.runs}/${runs} runs]` : '';
  return `${num(s.median)}${range}${partial}`;
}

/** The table as text, columns padded; `runs` is how many runs each revision had. */
export function renderTable(
  rows: readonly Row[],
  labels: { base: string; head: string },
  runs: number,
): string {
  const lines = [
    ['figure', 'unit', `base ${labels.base}`, `head ${labels.head}`, 'head/base'],
    ...rows.map((r) => [
      r.name,
      r.unit,
      cell(r.base, runs),
      cell(r.head, runs),
      r.ratio === undefined ? '-' : r.ratio.toFixed(2),
    ]),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines
    .map((l) =>
      l
        .map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
