// Per-call timings from sipp's `-trace_shortmsg` file: one tab-separated line per SIP message sent (S) or
// received (R) with a microsecond wall-clock timestamp, the Call-ID, the CSeq and the first line. No pcap:
// sipp stamps each message when its own socket hands it over, so its processing is on both ends of a
// difference and cancels out, and what remains is the platform (plus loopback).
import { readFileSync } from 'node:fs';

/** This process's wall clock in ms since the epoch, sub-ms, comparable with sipp's timestamps. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

/** sipp options that write the file read by the functions below. */
export const shortMessageArgs = (file: string): string[] => ['-trace_shortmsg', '-shortmessage_file', file];

interface ShortMessage {
  /** Wall clock, ms since the epoch (sub-ms from sipp's microseconds). */
  atMs: number;
  direction: 'S' | 'R';
  callId: string;
  cseq: string;
  firstLine: string;
}

function readShortMessages(file: string): ShortMessage[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const messages: ShortMessage[] = [];
  for (const line of text.split('\n')) {
    // date, time, epoch seconds with microseconds, S/R, Call-ID, "CSeq:<n> <method>", first line
    const fields = line.split('\t');
    if (fields.length < 7) continue;
    messages.push({
      atMs: Number(fields[2]) * 1000,
      direction: fields[3] as 'S' | 'R',
      callId: fields[4]!,
      cseq: fields[5]!,
      firstLine: fields[6]!,
    });
  }
  return messages;
}

/** When a UAC sent its first INVITE of each call and got the first 200 to it (ms since the epoch). */
export interface InviteTiming {
  inviteAt: number;
  okAt?: number;
}

/** Per SIP Call-ID: the first INVITE sent and the first 200 to it received by a UAC. */
export function inviteTimings(file: string): Map<string, InviteTiming> {
  const calls = new Map<string, InviteTiming>();
  for (const m of readShortMessages(file)) {
    if (!m.cseq.endsWith(' INVITE')) continue;
    const timing = calls.get(m.callId);
    if (m.direction === 'S' && m.firstLine.startsWith('INVITE ') && !timing) {
      calls.set(m.callId, { inviteAt: m.atMs });
    } else if (m.direction === 'R' && m.firstLine.startsWith('SIP/2.0 200') && timing && !timing.okAt) {
      timing.okAt = m.atMs;
    }
  }
  return calls;
}

/**
 * A UAC's post-dial delay per call: its first INVITE sent to the first 200 to that INVITE received, in ms.
 * Calls that never got a 200 have no figure (they are counted as failed elsewhere).
 */
export function inviteTo200Ms(timings: Map<string, InviteTiming>): number[] {
  return [...timings.values()].filter((t) => t.okAt !== undefined).map((t) => t.okAt! - t.inviteAt);
}

/** A UAS's first arrival of an INVITE per Request-URI user part, in ms since the epoch. */
export function inviteArrivals(file: string): Map<string, number> {
  const arrivals = new Map<string, number>();
  for (const m of readShortMessages(file)) {
    if (m.direction !== 'R' || !m.firstLine.startsWith('INVITE ')) continue;
    const user = /^INVITE sips?:([^@;]+)@/.exec(m.firstLine)?.[1];
    if (user && !arrivals.has(user)) arrivals.set(user, m.atMs);
  }
  return arrivals;
}

/** The q-quantile of values (nearest rank), or NaN for none. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}
