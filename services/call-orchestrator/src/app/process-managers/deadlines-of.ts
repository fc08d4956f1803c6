// The deadlines a call has running, rebuilt from its state and the recorded times of its events: after a
// restart the process managers re-arm exactly what the decisions armed before (same kinds, same keys),
// with times taken from the log instead of the commands' `now`.
import { callEvents } from '@callctl/proto';
import type { Deadline } from '../../domain/call.guards.js';
import type { CallState } from '../../domain/call.state.js';
import type { CallTimeline } from '../call-timeline.js';
import { inPrompts, promptTimeout } from '../../domain/capabilities/digits/prompts.js';
import {
  awaitingDecision,
  referOutcomeDeadline,
} from '../../domain/capabilities/transfers/transfers.decide.js';
import { isOpen } from '../../domain/capabilities/transfers/transfers.state.js';

export function deadlinesOf(state: CallState, timeline: CallTimeline): Deadline[] {
  if (state.status !== 'active') return [];
  const out: Deadline[] = [];
  for (const leg of Object.values(state.legs)) {
    const started = timeline.legs[leg.legId]?.initiatedAtMs;
    const waiting = leg.status === 'initiated' || leg.status === 'ringing';
    if (
      waiting &&
      leg.direction === callEvents.LegDirection.LEG_DIRECTION_OUTBOUND &&
      leg.ringTimeoutMs > 0 &&
      started !== undefined
    )
      out.push({ kind: 'ringTimeout', legId: leg.legId, atMs: started + leg.ringTimeoutMs });
  }
  if (state.maxDurationMs > 0 && timeline.firstAnsweredAtMs !== undefined)
    out.push({ kind: 'maxDuration', atMs: timeline.firstAnsweredAtMs + state.maxDurationMs });
  for (const c of Object.values(state.collects)) {
    const last = timeline.collectLastAtMs[c.collectId];
    // While prompts play no timer runs: the last prompt's end arms it (domain prompts.ts).
    if (c.status !== 'collecting' || last === undefined || inPrompts(state, c)) continue;
    const wait = c.digits.length === 0 ? c.firstDigitTimeoutMs : c.interDigitTimeoutMs;
    out.push({
      kind: 'collectTimeout',
      collectId: c.collectId,
      expectedDigits: c.digits.length,
      atMs: last + wait,
    });
  }
  // The prompt that plays keeps its timeout, counted from its recorded start.
  for (const p of Object.values(state.playbacks)) {
    const startedAt = timeline.promptStartedAtMs[p.playbackId];
    if (p.status === 'playing' && p.collectId && startedAt !== undefined)
      out.push(promptTimeout(p, startedAt));
  }
  // A phone's REFER waiting for the application's decision keeps its deadline; a REFER-mode transfer still
  // open keeps its backstop. Both count from the transfer's request.
  for (const t of Object.values(state.transfers)) {
    const requestedAt = timeline.transferRequestedAtMs?.[t.transferId];
    if (requestedAt === undefined) continue;
    if (awaitingDecision(state, t))
      out.push({
        kind: 'transferDecision',
        transferId: t.transferId,
        atMs: requestedAt + t.decisionDeadlineMs,
      });
    if (t.mode === callEvents.TransferMode.TRANSFER_MODE_REFER && isOpen(t))
      out.push(referOutcomeDeadline(t, requestedAt));
  }
  return out;
}

/** One key per timer: a deadline re-armed from the log replaces nothing the live path armed. */
export function deadlineKey(callId: string, d: Deadline): string {
  switch (d.kind) {
    case 'ringTimeout':
      return `${callId}|ring|${d.legId}`;
    case 'maxDuration':
      return `${callId}|max`;
    case 'collectTimeout':
      return `${callId}|collect|${d.collectId}|${d.expectedDigits}`;
    case 'promptTimeout':
      return `${callId}|prompt|${d.playbackId}`;
    case 'transferDecision':
      return `${callId}|transfer-decision|${d.transferId}`;
    case 'referOutcome':
      return `${callId}|refer-outcome|${d.transferId}`;
  }
}
