// Measures the benchmarks share: a process's CPU time, the machine's idle time, UDP drops (by port or by
// process), sipp's sustained rate and the ladder that finds a maximum sustainable rate, and a bounded
// parallel loop for their setup and teardown requests. Linux /proc only.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { SippResult } from './sipp.js';

export interface Step {
  rate: number;
  ok: boolean;
  line: string;
}

export interface MaxRate {
  cps: number;
  /** True when even the top of the ladder passed: the real limit is higher. */
  atLadderTop: boolean;
}

/**
 * Ramps through `ladder` until a step fails, then tries the midpoint of the last gap once. A failed step is
 * run a second time before it counts: on a 2-core box shared with other work, one scheduling stall can fail
 * a step that the server under test sustains (every case, Kamailio included, gets the same second chance).
 */
export async function maxRate(
  name: string,
  ladder: number[],
  step: (rate: number) => Promise<Step>,
): Promise<MaxRate> {
  const passes = async (rate: number) => {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const result = await step(rate);
      console.log(`  ${name} ${result.line}${attempt === 2 ? ' (second try)' : ''}`);
      if (result.ok) return true;
    }
    return false;
  };
  let best = 0;
  let failedAt = 0;
  for (const rate of ladder) {
    if (!(await passes(rate))) {
      failedAt = rate;
      break;
    }
    best = rate;
  }
  const middle = Math.round((best + failedAt) / 2 / 10) * 10;
  if (failedAt && middle > best && middle < failedAt && (await passes(middle))) best = middle;
  return { cps: best, atLadderTop: failedAt === 0 };
}

/** utime + stime of a process in ms (0 once it is gone); Linux clock ticks are 1/100 s (CLK_TCK). */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/**
 * Machine-wide idle CPU ms (idle + iowait, all cores) from /proc/stat. Busy time is derived from idle time
 * and the wall clock, as the anchor does: the busy counters are tick samples that miss short bursts.
 */
export function idleMs(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  return ((Number(fields[4]) + Number(fields[5])) * 1000) / 100;
}

/** Datagrams the kernel dropped on the UDP socket(s) bound to `port` (receive buffer full), /proc/net/udp. */
export function udpDrops(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1]?.endsWith(hex))
    .reduce((sum, fields) => sum + Number(fields[fields.length - 1] ?? 0), 0);
}

/** Receive-buffer drops summed over every UDP socket the process holds (/proc/net/udp, by inode). */
export function processUdpDrops(pid: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => inodes.has(fields[9] ?? ''))
    .reduce((sum, fields) => sum + Number(fields[fields.length - 1] ?? 0), 0);
}

/**
 * Calls started per second up to the last whole statistics period in which the UAC was still starting
 * calls (the anchor's "sustained"; neither the tail nor a wait for stuck calls counts).
 */
export function sustainedRate(result: SippResult): number {
  const time = (row: Record<string, string>, column: string) =>
    Number((row[column] ?? '').split('\t')[2] ?? 0);
  const rows = result.statsRows;
  const final = Number(result.stats['OutgoingCall(C)'] ?? 0);
  const start = rows[0] ? time(rows[0], 'StartTime') : 0;
  for (let i = rows.length - 1; i >= 1; i--) {
    const row = rows[i]!;
    const periodS = time(row, 'CurrentTime') - time(rows[i - 1]!, 'CurrentTime');
    const started = Number(row['OutgoingCall(C)'] ?? 0);
    if (periodS >= 0.9 && started < final && time(row, 'CurrentTime') > start) {
      return started / (time(row, 'CurrentTime') - start);
    }
  }
  return Number(result.stats['CallRate(C)'] ?? 0);
}

export const firstLines = (text: string, n: number) =>
  text
    .split('\n')
    .filter((line) => line.trim())
    .slice(0, n)
    .map((line) => line.slice(0, 240))
    .join(' | ');

/** Runs `task` over `items`, `inFlight` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  inFlight: number,
  task: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, items.length) }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}
