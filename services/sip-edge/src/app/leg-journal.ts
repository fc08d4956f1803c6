import type { MediaPlan } from '../domain/media-plan.js';
import { dialogOf, type Leg } from './leg-registry.js';

/** What sip-edge must know of a leg to end it cleanly after it restarted without memory. */
export interface JournalEntry {
  callId: string;
  legId: string;
  direction: 'inbound' | 'outbound';
  /** The engine's dialog id once the leg is answered; empty while it rings. */
  dialogId: string;
  sipCallId: string;
  /** The rtpengine session the leg's media was in (absent in entries written before it was recorded). */
  mediaSessionId?: string;
}

/**
 * sip-edge's durable record of its live legs (a JetStream stream with the last message per leg in
 * production). Writes are best effort and never delay SIP: a leg whose record was lost is still visible to
 * the orchestrator through ListLegs reconciliation.
 */
export interface LegJournal {
  record(entry: JournalEntry): void;
  forget(legId: string): void;
  /** The legs recorded by the previous run of this instance and not forgotten. */
  recover(): Promise<JournalEntry[]>;
}

/** The journal entry of a leg as it is now: its dialog once answered, its media where the plan has it. */
export function journalOf(plan: MediaPlan, leg: Leg): JournalEntry {
  return {
    callId: leg.callId,
    legId: leg.legId,
    direction: leg.direction,
    dialogId: dialogOf(leg)?.id ?? '',
    sipCallId: leg.sipCallId,
    mediaSessionId: plan.partyOf(leg.legId)?.sessionId ?? '',
  };
}
