import { UsageError } from './usage-error.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration as people type it: `500ms`, `30s`, `2m`, `1h`, `1.5s`, or a bare number of milliseconds.
 * `option` names the flag in the error.
 */
export function parseDurationMs(text: string, option: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`--${option}: expected a duration like 500ms, 30s or 2m (got "${text}")`);
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 'ms']!);
  if (ms > 0xffffffff) throw new UsageError(`--${option}: too long (got "${text}")`);
  return ms;
}

/** A whole number within [min, max]; `what` names the flag or argument in the error. */
export function parseCount(text: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${what}: expected a whole number (got "${text}")`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`${what}: expected ${min}-${max} (got ${value})`);
  return value;
}
