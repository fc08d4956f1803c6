// Ends legs that sip-edge no longer holds. sip-edge keeps its dialogs in memory: after it restarts, the
// legs it could not recover would stay "answered" in the log for ever, with nobody to end them. This
// process manager asks sip-edge for its legs (ListLegs) now and then, and records a leg the log thinks is
// up but sip-edge does not hold as ended (PLATFORM_FAILURE) once it was missing twice in a row: a leg
// whose LegEnded fact is still on its way, or one recorded after the snapshot, is not touched.
import type { Logger } from '@callctl/logging';
import { callEvents } from '@callctl/proto';
import type { CallRepository } from '../call-repository.js';
import type { CommandHandler } from '../handle-command.js';
import type { Clock, IdSource, SipEdgePort } from '../ports.js';

export interface LegReconcilerOptions {
  sipEdge: Pick<SipEdgePort, 'listLegs'>;
  activeCallIds: () => Promise<string[]>;
  calls: Pick<CallRepository, 'load'>;
  handler: Pick<CommandHandler, 'handle'>;
  clock: Clock;
  ids: IdSource;
  log: Logger;
  /** Legs recorded less than this before a snapshot are left out of it. @default 5000 */
  graceMs?: number;
}

export class LegReconciler {
  /** `callId/legId` -> how many snapshots in a row missed it. */
  private readonly misses = new Map<string, number>();
  private readonly graceMs: number;

  constructor(private readonly o: LegReconcilerOptions) {
    this.graceMs = o.graceMs ?? 5000;
  }

  /** One comparison; returns the legs it ended. A sip-edge that does not answer ends nothing. */
  async runOnce(): Promise<string[]> {
    const startedAt = this.o.clock();
    let held: Set<string>;
    try {
      held = new Set((await this.o.sipEdge.listLegs()).map((l) => `${l.callId}/${l.legId}`));
    } catch (error) {
      this.o.log.warn({ err: error }, 'sip-edge did not list its legs; nothing reconciled');
      return [];
    }
    const seen = new Set<string>();
    const ended: string[] = [];
    // Loaded all at once: the store reads waiting loads' streams together (one at a time, 10,000 calls
    // kept the event loop busy for seconds every run).
    const calls = await Promise.all((await this.o.activeCallIds()).map((id) => this.o.calls.load(id)));
    for (const { callId, state, timeline } of calls) {
      if (state.status !== 'active') continue;
      for (const leg of Object.values(state.legs)) {
        const key = `${callId}/${leg.legId}`;
        const since = timeline.legs[leg.legId]?.initiatedAtMs ?? startedAt;
        if ((leg.status !== 'ringing' && leg.status !== 'answered') || since > startedAt - this.graceMs)
          continue;
        if (held.has(key)) continue;
        seen.add(key);
        const misses = (this.misses.get(key) ?? 0) + 1;
        this.misses.set(key, misses);
        if (misses < 2) continue;
        await this.o.handler.handle(callId, {
          type: 'RecordLegEnded',
          data: {
            legId: leg.legId,
            cause: callEvents.EndCause.END_CAUSE_PLATFORM_FAILURE,
            sipStatus: 0,
            reason: 'sip-edge no longer holds the leg (restarted?)',
          },
          metadata: { now: this.o.clock(), newId: this.o.ids.next() },
        });
        this.o.log.warn({ callId, legId: leg.legId }, 'leg unknown to sip-edge recorded as ended');
        ended.push(key);
      }
    }
    for (const key of this.misses.keys()) if (!seen.has(key) || ended.includes(key)) this.misses.delete(key);
    return ended;
  }

  /** Runs every intervalMs until the returned function is called. */
  every(intervalMs: number): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.runOnce()
        .catch((error: unknown) => this.o.log.error({ err: error }, 'leg reconciliation failed'))
        .finally(() => (running = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
