// Runs one bounded flood (flood.ts) as its own process and resolves with its report.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess } from '@callctl/testing';
import type { FloodKind, FloodReport } from './flood.js';

export type { FloodKind, FloodReport } from './flood.js';

// The built script: generating the flood must not cost the test runner's event loop (nor a transpiler).
const SCRIPT = join(__dirname, '..', 'dist', 'support', 'flood.js');

/**
 * `perSecond`: datagrams per second, or for slowloris the number of connections. `source`: the loopback
 * address UDP floods are sent from (default 127.0.0.1).
 */
export async function flood(
  kind: FloodKind,
  port: number,
  perSecond: number,
  seconds: number,
  source?: string,
): Promise<FloodReport> {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: build the e2e folder first (npx tsc -b)`);
  const proc = startProcess(process.execPath, [
    SCRIPT,
    kind,
    String(port),
    String(perSecond),
    String(seconds),
    ...(source ? [source] : []),
  ]);
  const code = await proc.exited;
  const line = proc.output().trim().split('\n').pop() ?? '';
  if (code !== 0) throw new Error(`flood ${kind} exited ${code}: ${proc.output().slice(-2000)}`);
  return JSON.parse(line) as FloodReport;
}

/** Resident memory of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb ?? 0) / 1024);
}
