// The figures a benchmark run printed, read back from its text: bench-compare compares revisions whose
// benchmarks were never written to print anything else, so the human format is the interface. The
// full-stack and callback benchmarks have parsers of their own (their step tables are columns, not "name
// value unit"); every other benchmark is read by the generic rule of genericFigures.

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const MS = String.raw`(-|\d+(?:\.\d+)?) ms`;
const STEP = new RegExp(
  String.raw`^\s*(\d+) cps\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+(?:\.\d+)?)\s+(?:${MS}|-)\s+(?:${MS}|-)\s+(ok|SLOW|FAIL)\b(.*)$`,
);
const STEP_COLUMNS = [
  ['calls', ''],
  ['failed', 'calls'],
  ['rpc-err', 'calls'],
  ['not-ended', 'calls'],
  ['retrans', ''],
  ['sustained', 'cps'],
  ['kept-up', ''],
  ['PDD p50', 'ms'],
  ['PDD p99', 'ms'],
] as const;

type Add = (name: string, value: string | undefined, unit: string) => void;
const NUM = String.raw`\d+(?:\.\d+)?`;
const PDD_PARTS = new RegExp(String.raw`([\w>-]+) (?:${MS}|-)\/(?:${MS}|-)`, 'g');
const SUMMARY_CPS = new RegExp(
  String.raw`^\s*((?:\w+: )?full-stack sustained \(0 failed, kept up\)|engine only \(engine \+ srf UAS\))\s+(?:>= )?(\d+) cps`,
);
const SUMMARY_PDD = new RegExp(
  String.raw`^\s*((?:\w+: )?)PDD (INVITE in -> 200 out|CreateCall -> INVITE out) (at \d+ cps)\s+p50 (?:${MS}|-), p99 (?:${MS}|-)`,
);
/** The header of a ladder run with another announcement than the file (`inbound (say): ...`). */
const VARIANT_LADDER = /^inbound \((\w+)\):/;

/**
 * Reads the output of e2e/bench/full-stack.bench.ts (and of its earlier home, services/sip-edge/bench):
 * the idle line, each step of the inbound ladder (its columns, its CPU per call, its post-dial delay in
 * parts; named by the step's rate) and the summary.
 */
export function fullStackFigures(text: string): Figure[] {
  const figures: Figure[] = [];
  const add: Add = (name, value, unit) => {
    if (value !== undefined && value !== '-' && value !== '')
      figures.push({ name, value: Number(value), unit });
  };
  let step = '';
  let inSummary = false;
  /** Steps of the file ladder keep the names older revisions had; others are prefixed (`say: 50 cps`). */
  let variant = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(ANSI, '');
    const stepMatch = STEP.exec(line);
    if (stepMatch) {
      step = `${variant}${stepMatch[1]} cps`;
      STEP_COLUMNS.forEach(([name, unit], i) => add(`${step} ${name}`, stepMatch[i + 2], unit));
      add(`${step} passed (1 ok, 0 SLOW or FAIL)`, stepMatch[11] === 'ok' ? '1' : '0', '');
      stepCpu(stepMatch[12] ?? '', step, add);
    } else if (step && /^ {6}\S/.test(line)) {
      stepDetails(line, step, add);
    } else {
      step = '';
      const ladder = VARIANT_LADDER.exec(line);
      if (ladder) variant = ladder[1] === 'file' ? '' : `${ladder[1]}: `;
      if (line.startsWith('idle platform')) idle(line, add);
      if (/^\s*summary\s*$/.test(line)) inSummary = true;
      if (inSummary) summary(line, add);
    }
  }
  return figures;
}

function idle(line: string, add: Add): void {
  const perProcess = /cpu \(of one core\): ([^;]*)/.exec(line)?.[1] ?? '';
  for (const [, name, value] of perProcess.matchAll(new RegExp(String.raw`(\w+) (${NUM})%`, 'g'))) {
    add(`idle cpu ${name}`, value, '% of a core');
  }
  add('idle pg transactions/s', new RegExp(String.raw`pg transactions\/s (${NUM})`).exec(line)?.[1], '/s');
  add('idle box', /box (\d+)%/.exec(line)?.[1], '%');
}

function stepCpu(text: string, step: string, add: Add): void {
  const cpu = new RegExp(String.raw`cpu ms\/call: (.*?) = platform (${NUM})`).exec(text);
  if (!cpu) return;
  for (const [, name, value] of (cpu[1] ?? '').matchAll(new RegExp(String.raw`(\w+) (${NUM})`, 'g'))) {
    add(`${step} cpu ${name}`, value, 'ms/call');
  }
  add(`${step} cpu platform`, cpu[2], 'ms/call');
  add(`${step} cpu app`, new RegExp(String.raw`app (${NUM})`).exec(text)?.[1], 'ms/call');
  add(`${step} pg events`, new RegExp(String.raw`pg: (${NUM}) events`).exec(text)?.[1], '/call');
  add(
    `${step} pg transactions`,
    new RegExp(String.raw`(${NUM}) transactions per call`).exec(text)?.[1],
    '/call',
  );
}

/** A step's continuation lines: how busy the box was, and the post-dial delay cut into parts. */
function stepDetails(line: string, step: string, add: Add): void {
  add(`${step} box`, /box (\d+)%/.exec(line)?.[1], '%');
  add(`${step} engine udp drops`, /engine udp drops (\d+)/.exec(line)?.[1], '');
  if (!line.includes('PDD p50/p99:')) return;
  for (const [, part, p50, p99] of line.matchAll(PDD_PARTS)) {
    add(`${step} PDD ${part} p50`, p50, 'ms');
    add(`${step} PDD ${part} p99`, p99, 'ms');
  }
}

function summary(line: string, add: Add): void {
  const cps = SUMMARY_CPS.exec(line);
  if (cps) add(`summary ${cps[1]}`, cps[2], 'cps');
  // The rate stays in the name: the best step can differ between runs, and those are not comparable.
  const pdd = SUMMARY_PDD.exec(line);
  if (pdd) {
    add(`summary ${pdd[1]}PDD ${pdd[2]} ${pdd[3]} p50`, pdd[4], 'ms');
    add(`summary ${pdd[1]}PDD ${pdd[2]} ${pdd[3]} p99`, pdd[5], 'ms');
  }
  const say = new RegExp(
    String.raw`^\s*cached Say -> PlaybackStarted (at \d+ cps)\s+p50 (?:${MS}|-), p99 (?:${MS}|-)`,
  ).exec(line);
  if (say) {
    add(`summary cached Say -> PlaybackStarted ${say[1]} p50`, say[2], 'ms');
    add(`summary cached Say -> PlaybackStarted ${say[1]} p99`, say[3], 'ms');
  }
  const ratio = new RegExp(String.raw`^\s*ratio full-stack \/ engine-only\s+(?:<= )?(${NUM})`).exec(line);
  add('summary ratio full-stack / engine-only', ratio?.[1], '');
}

const NUMBER_UNIT = /(?:(\S+) )?(\d+(?:\.\d+)?) ([^\s,;]+)/g;
/** Words that qualify the figure after them (`p99 3.10 ms`), rather than name it. */
const QUALIFIER = /^(p\d+(\.\d+)?|avg|mean|median|min|max)$/;
/**
 * What counts as a unit: a time, a rate, a share, a size, a count of packets or recordings (the recorder
 * benchmark's loss and capacity); "8 in flight" or "4 writers" are not figures.
 */
const UNIT =
  /^(ns|µs|us|ms|s|cps|%|B|KiB|MiB|GiB|packets|recordings|[A-Za-zµ]+\/(s|msg|call|callback|dialog))$/;

/**
 * The generic rule, for benchmarks without a parser of their own: on each line, the text before the first
 * number names it, and every "number unit" after it is a figure, qualified by a percentile word just
 * before it (`single append   p50 1.10 ms  p99 3.10 ms` gives "single append p50" and "single append
 * p99"). Parenthesised asides (targets, ratios to them) are not figures. A name and unit printed twice get
 * " #2".
 */
export function genericFigures(text: string): Figure[] {
  const figures: Figure[] = [];
  const seen = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(ANSI, '').replace(/\([^()]*\)/g, ' ');
    const first = line.search(/(?<![\w.])\d/);
    if (first < 0) continue;
    const words = line
      .slice(0, first)
      .replace(/(>=|<=)\s*$/, '')
      .split(/\s+/)
      .filter(Boolean);
    if (QUALIFIER.test(words[words.length - 1] ?? '')) words.pop();
    const label = words.join(' ').replace(/:$/, '');
    if (!label || label === 'ratio') continue;
    // From the word before the first number on, so that its qualifier (p50) is read with it.
    const prefix = line.slice(0, first).trimEnd();
    for (const [, before, value, unit] of line.slice(prefix.lastIndexOf(' ') + 1).matchAll(NUMBER_UNIT)) {
      if (!UNIT.test(unit ?? '')) continue;
      const base = QUALIFIER.test(before ?? '') ? `${label} ${before}` : label;
      const key = `${base}\u0000${unit}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      figures.push({ name: n > 1 ? `${base} #${n}` : base, value: Number(value), unit: unit ?? '' });
    }
  }
  return figures;
}

const CALLBACK_STEP = new RegExp(
  String.raw`^\s*(iif )?(\d+)\/s((?:\s+\d+){6})((?:\s+(?:${NUM}|-)){11})\s+(ok|SLOW|FAIL)\b`,
);
const CALLBACK_COUNTS = ['callbacks', 'acked ok', 'bridged', 'ended ok', 'failed', 'RESPONSEs'];
const CALLBACK_MEASURES = [
  ['ACK p50', 'ms'],
  ['ACK p99', 'ms'],
  ['REQUEST -> RESPONSE p50', 'ms'],
  ['REQUEST -> RESPONSE p99', 'ms'],
  ['cpu callback', 'ms/callback'],
  ['cpu callback pg', 'ms/callback'],
  ['cpu orchestrator', 'ms/callback'],
  ['cpu orchestrator pg', 'ms/callback'],
  ['cpu platform', 'ms/callback'],
  ['cpu callback / orchestrator', ''],
  ['rss callback', 'MiB'],
] as const;

/**
 * Reads the output of e2e/bench/callback.bench.ts: each row of its step table (named by its rate, the IIF
 * round trip's row by `iif` and its rate), and the lines after `summary` by the generic rule.
 */
export function callbackFigures(text: string): Figure[] {
  const figures: Figure[] = [];
  for (const raw of text.split('\n')) {
    const row = CALLBACK_STEP.exec(raw.replace(ANSI, ''));
    if (!row) continue;
    const step = `${row[1] ?? ''}${row[2]}/s`;
    const counts = row[3]!.trim().split(/\s+/);
    const measures = row[4]!.trim().split(/\s+/);
    CALLBACK_COUNTS.forEach((name, i) =>
      figures.push({ name: `${step} ${name}`, value: Number(counts[i]), unit: '' }),
    );
    CALLBACK_MEASURES.forEach(([name, unit], i) => {
      if (measures[i] !== '-') figures.push({ name: `${step} ${name}`, value: Number(measures[i]), unit });
    });
    figures.push({ name: `${step} passed (1 ok, 0 SLOW or FAIL)`, value: row[5] === 'ok' ? 1 : 0, unit: '' });
  }
  // The summary only: the lines under a step (CPU per process, why it failed) are words for a reader.
  const summary = text.replace(ANSI, '').split(/^summary\s*$/m)[1] ?? '';
  return [...figures, ...genericFigures(summary)];
}

/** The figures of one run of the benchmark at `benchPath` (a path inside the repository). */
export function benchFigures(benchPath: string, text: string): Figure[] {
  if (benchPath.endsWith('full-stack.bench.ts')) return fullStackFigures(text);
  return benchPath.endsWith('callback.bench.ts') ? callbackFigures(text) : genericFigures(text);
}
