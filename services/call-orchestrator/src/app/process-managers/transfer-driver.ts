// The transfer process manager: carries a transfer whose target answered to its end (ContinueTransfer:
// release the transferor, bridge the transferee with the target), and cleans up after one that failed (a
// target leg still up is hung up). It follows the decisions as they are recorded, and at start re-drives
// every open transfer from the log, so an orchestrator killed in the middle of a move (kill -9) leaves each
// transfer completed or failed with an event, never half-bridged. A step that fails on the wire (a
// re-INVITE refused, sip-edge down past the retries) ends the transfer as PLATFORM_FAILURE.
//
// A phone's REFER with Replaces has a step before: the replaced call gives up its remote party (MoveLegOut
// in that call), and this call records it arriving (RecordLegMovedIn, read off the other call's
// LegMovedOut); both are idempotent, so a re-drive repeats them safely (domain/.../replaces.decide.ts).
import { ERROR_KINDS, errorKindOf } from '@callctl/errors';
import type { Logger } from '@callctl/logging';
import type { CallEvent } from '../../domain/call.events.js';
import type { CallState } from '../../domain/call.state.js';
import { replacing, type Transfer } from '../../domain/capabilities/transfers/transfers.state.js';
import type { SendCommand } from '../handle-command.js';
import type { Clock, IdSource } from '../ports.js';

export interface TransferDriverOptions {
  send: SendCommand;
  /** The call as recorded (another call's, for a REFER with Replaces). */
  load: (callId: string) => Promise<CallState>;
  clock: Clock;
  ids: IdSource;
  log: Logger;
  /** Tries of a step that failed for a transient reason (a peer unavailable) before it aborts. @default 3 */
  attempts?: number;
  /** @default 1000 */
  retryMs?: number;
}

/** A REFER with Replaces whose target (the replaced leg's peer) has not arrived in this call yet. */
const toMoveIn = (t: Transfer) => t.status === 'requested' && replacing(t) && !t.targetLegId;
/**
 * Whether the transfer has a step left: its target answered (or is to be moved in), or it failed and may
 * leave a leg up.
 */
const hasStep = (t: Transfer) => t.status === 'connecting' || t.status === 'failed' || toMoveIn(t);

export class TransferDriver {
  private readonly running = new Set<string>();
  private closed = false;

  constructor(private readonly o: TransferDriverOptions) {}

  /** After a decision is recorded: the transfers it moved to a step are driven (in the background). */
  onRecorded(callId: string, state: CallState, events: readonly CallEvent[]): void {
    if (state.status === 'none') return;
    for (const e of events) {
      if (e.type !== 'TransferProgress' && e.type !== 'TransferFailed' && e.type !== 'TransferRequested')
        continue;
      const t = state.transfers[e.data.transferId];
      if (t && hasStep(t)) void this.drive(callId, t.transferId);
    }
  }

  /** At start: every open transfer of these calls whose target answered, and every failed one left with a leg up. */
  async redrive(
    callIds: readonly string[],
    stateOf: (callId: string) => CallState | undefined,
  ): Promise<number> {
    let driven = 0;
    for (const callId of callIds) {
      const state = stateOf(callId);
      if (state?.status !== 'active') continue;
      for (const t of Object.values(state.transfers))
        if (hasStep(t)) {
          await this.drive(callId, t.transferId);
          driven++;
        }
    }
    return driven;
  }

  close(): void {
    this.closed = true;
  }

  /** One transfer driven at a time; a second request while it runs is covered by the first. */
  async drive(callId: string, transferId: string): Promise<void> {
    const key = `${callId}|${transferId}`;
    if (this.running.has(key)) return;
    this.running.add(key);
    try {
      await this.step(callId, transferId);
    } finally {
      this.running.delete(key);
    }
  }

  private async step(callId: string, transferId: string): Promise<void> {
    const attempts = this.o.attempts ?? 3;
    let reason = '';
    for (let attempt = 1; attempt <= attempts && !this.closed; attempt++) {
      try {
        await this.moveIn(callId, transferId);
        await this.send(callId, { transferId });
        return;
      } catch (error) {
        reason = error instanceof Error ? error.message : String(error);
        // A refusal (a re-INVITE refused, a leg gone) will not change: abort at once; an outage is retried.
        const transient =
          errorKindOf(error) === ERROR_KINDS.unavailable ||
          errorKindOf(error) === ERROR_KINDS.deadlineExceeded;
        this.o.log.warn({ callId, transferId, err: error, attempt }, 'transfer step failed');
        if (!transient) break;
        await new Promise((resolve) => setTimeout(resolve, this.o.retryMs ?? 1000));
      }
    }
    if (this.closed) return;
    await this.send(callId, { transferId, abort: `transfer step failed: ${reason}` }).catch(
      (error: unknown) =>
        this.o.log.error({ callId, transferId, err: error }, 'transfer could not be aborted'),
    );
  }

  /** A REFER with Replaces: the replaced call's remote party leaves it and arrives in this call. */
  private async moveIn(callId: string, transferId: string): Promise<void> {
    const state = await this.o.load(callId);
    const t = state.status === 'active' ? state.transfers[transferId] : undefined;
    if (!t || !toMoveIn(t)) return;
    const context = { causationId: `transfer:${transferId}`, startsTrace: true };
    const metadata = { now: this.o.clock(), newId: this.o.ids.next() };
    await this.o.send(
      t.replacesCallId,
      { type: 'MoveLegOut', data: { legId: t.replacesLegId, toCallId: callId, transferId }, metadata },
      context,
    );
    const other = await this.o.load(t.replacesCallId);
    const moved = other.status === 'none' ? undefined : other.movedOut[transferId];
    if (!moved) throw new Error(`call ${t.replacesCallId} recorded no move for transfer ${transferId}`);
    await this.o.send(callId, { type: 'RecordLegMovedIn', data: { moved }, metadata }, context);
  }

  private send(callId: string, data: { transferId: string; abort?: string }) {
    return this.o.send(
      callId,
      { type: 'ContinueTransfer', data, metadata: { now: this.o.clock(), newId: this.o.ids.next() } },
      { causationId: `transfer:${data.transferId}`, startsTrace: true },
    );
  }
}
