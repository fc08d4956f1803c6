// The SIPREC process manager: carries a requested SIPREC session to an SRS after SiprecRequested is
// recorded, and keeps a started one in step with the call's parties. Each outcome on the wire is recorded by
// a command on the call whose decision is the event (RecordSiprecAttemptFailed, RecordSiprecStarted,
// RecordSiprecFailed, RecordSiprecUpdated), so the log says what happened and a repeated report records
// nothing.
//
// Start: the parties' fork is offered once (OfferRecordingFork), then each SRS in order is INVITEd with that
// offer (StartRecordingSession, session `<siprecId>-<attempt>`); the first 2xx's answer goes to the fork
// (AnswerRecordingFork) and SiprecStarted is recorded; each failure is a SiprecAttemptFailed with the SIP
// status ("SIP <status>" from sip-edge; 408 for a timeout, 503 for no response), and after the last
// SiprecFailed with its status, the fork stopped. A session stopped meanwhile (StopSiprec, the call's end)
// records nothing more: what the driver set up is taken down again.
//
// Roster: after a transfer, a leg moved in, a bridge, or a party answered or gone while others remain, a
// started session is re-forked with the parties of now and the SRS re-INVITEd (SiprecUpdated). A paused one
// is brought up to date by its resume.
//
// Recovery: an orchestrator that died while trying the SRSs leaves SiprecRequested without an outcome; at
// start such a session is recorded SiprecFailed ("interrupted by a restart") and whatever may exist of it
// (the attempt's recording session, the fork) is ended. Another instance may be driving it still (a
// rolling restart), so it is failed only once it made no progress (no attempt recorded) for longer than
// an attempt can take (`stalledAfterMs`). A started session needs nothing: it lives in
// sip-edge and rtpengine, and a later stop or the call's end ends it by its session id.
import { ERROR_KINDS, errorKindOf } from '@callctl/errors';
import type { Logger } from '@callctl/logging';
import { KeyedQueue } from '@callctl/service';
import type { CallCommand } from '../../domain/call.commands.js';
import type { CallEvent } from '../../domain/call.events.js';
import type { CallState } from '../../domain/call.state.js';
import { isParty } from '../../domain/capabilities/legs/roles.js';
import {
  attemptOf,
  currentSessionId,
  recordedLegs,
  sessionIdOf,
  type Siprec,
} from '../../domain/capabilities/siprec/siprec.state.js';
import type { Started } from '../capabilities/effects.js';
import type { SendCommand } from '../handle-command.js';
import type { Clock, IdSource } from '../ports.js';
import { DEFAULT_SIPREC_INVITE_TIMEOUT_MS, type SiprecWire } from '../siprec-wire.js';

export interface SiprecDriverOptions {
  send: SendCommand;
  /** The call as recorded. */
  load: (callId: string) => Promise<CallState>;
  wire: SiprecWire;
  clock: Clock;
  ids: IdSource;
  log: Logger;
  /**
   * How long a requested session may show no progress before recovery takes it as abandoned: longer than
   * one attempt (the INVITE's timeout, sip-edge's answer to it, the fork's answer and the append).
   * @default DEFAULT_SIPREC_INVITE_TIMEOUT_MS + 10000
   */
  stalledAfterMs?: number;
}

/** What the SRS (or its absence) said, from sip-edge's error: "SIP <status> ..." or the gRPC status. */
export function sipOutcomeOf(error: unknown): { sipStatus: number; reason: string } {
  const reason = error instanceof Error ? error.message : String(error);
  const status = /\bSIP (\d{3})\b/.exec(reason);
  if (status) return { sipStatus: Number(status[1]), reason };
  return { sipStatus: errorKindOf(error) === ERROR_KINDS.deadlineExceeded ? 408 : 503, reason };
}

/** Events after which a started session's parties (or where their media is) may have changed. */
const ROSTER_EVENTS: ReadonlySet<CallEvent['type']> = new Set([
  'TransferCompleted',
  'LegMovedIn',
  'LegsBridged',
  'LegAnswered',
  'LegEnded',
]);

export class SiprecDriver {
  private readonly queue = new KeyedQueue();
  /** Sessions with an update queued and not begun: a second trigger meanwhile is covered by it. */
  private readonly updateQueued = new Set<string>();
  private closed = false;

  constructor(private readonly o: SiprecDriverOptions) {}

  /** After a decision is recorded: a requested session is started, started ones follow the roster. */
  onRecorded(callId: string, state: CallState, events: readonly CallEvent[]): void {
    if (state.status !== 'active') return;
    for (const e of events)
      if (e.type === 'SiprecRequested')
        void this.run(callId, e.data.siprecId, () => this.start(callId, e.data.siprecId));
    if (!events.some((e) => ROSTER_EVENTS.has(e.type) && this.changesRoster(state, e))) return;
    for (const r of Object.values(state.siprecs))
      if (r.status === 'started') this.queueUpdate(callId, r.siprecId);
  }

  /**
   * At start: every session of these calls left trying the SRSs, failed once it shows no progress (in the
   * background); resolves with how many are watched.
   */
  async recover(
    callIds: readonly string[],
    stateOf: (callId: string) => CallState | undefined,
  ): Promise<number> {
    let recovered = 0;
    for (const callId of callIds) {
      const state = stateOf(callId);
      if (state?.status !== 'active') continue;
      for (const r of Object.values(state.siprecs))
        if (r.status === 'requested') {
          void this.whenStalled(callId, r);
          recovered++;
        }
    }
    return recovered;
  }

  close(): void {
    this.closed = true;
  }

  /** Resolves once every step asked for so far has settled (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private changesRoster(state: Started, e: CallEvent): boolean {
    if (e.type !== 'LegAnswered' && e.type !== 'LegEnded') return true;
    const leg = state.legs[e.data.legId];
    // A party answered, or gone while others remain (the last one's end is the call's).
    return leg !== undefined && isParty(leg) && recordedLegs(state).length > 0;
  }

  private queueUpdate(callId: string, siprecId: string): void {
    const key = `${callId}|${siprecId}`;
    if (this.updateQueued.has(key)) return;
    this.updateQueued.add(key);
    void this.run(callId, siprecId, () => {
      this.updateQueued.delete(key);
      return this.update(callId, siprecId);
    });
  }

  /** One step of a session at a time; a failed step is logged (its outcome is in the log or nowhere). */
  private run(callId: string, siprecId: string, step: () => Promise<void>): Promise<void> {
    return this.queue.run(`${callId}|${siprecId}`, async () => {
      if (this.closed) return;
      try {
        await step();
      } catch (error) {
        this.o.log.warn({ callId, siprecId, err: error }, 'SIPREC step failed');
      }
    });
  }

  private async current(
    callId: string,
    siprecId: string,
  ): Promise<{ state: Started; siprec: Siprec } | undefined> {
    const state = await this.o.load(callId);
    if (state.status !== 'active') return undefined;
    const siprec = state.siprecs[siprecId];
    return siprec ? { state, siprec } : undefined;
  }

  private async start(callId: string, siprecId: string): Promise<void> {
    const at = await this.current(callId, siprecId);
    if (at?.siprec.status !== 'requested') return;
    const { wire } = this.o;
    let offer: string;
    try {
      offer = await wire.offer(at.state, siprecId, at.siprec.legIds);
    } catch (error) {
      const { reason } = sipOutcomeOf(error);
      await this.record(callId, siprecId, {
        type: 'RecordSiprecFailed',
        data: { siprecId, sipStatus: 0, reason: `the recording fork could not be set up: ${reason}` },
      });
      await wire.end(at.state, at.siprec, { bye: false });
      return;
    }
    let last = { sipStatus: 0, reason: '' };
    for (let attempt = attemptOf(at.siprec); attempt <= at.siprec.srsUris.length; attempt++) {
      const now = await this.current(callId, siprecId);
      if (now?.siprec.status !== 'requested' || this.closed) return this.takeDown(at.state, at.siprec);
      const srsUri = at.siprec.srsUris[attempt - 1]!;
      const sessionId = sessionIdOf(siprecId, attempt);
      let answer: { answerSdp: string; sipCallId: string };
      try {
        answer = await wire.invite(now.state, now.siprec, sessionId, srsUri, offer);
        await wire
          .answer(now.state, siprecId, now.siprec.legIds, answer.answerSdp)
          .catch(async (error: unknown) => {
            // An answer the fork cannot take (no audio): that SRS is no use, the next is tried.
            await this.o.wire.end(now.state, now.siprec, { bye: true, sessionId });
            throw error;
          });
      } catch (error) {
        last = sipOutcomeOf(error);
        this.o.log.info({ callId, siprecId, srsUri, ...last }, 'SRS did not take the recording session');
        const recorded = await this.record(callId, siprecId, {
          type: 'RecordSiprecAttemptFailed',
          data: { siprecId, attempt, srsUri, ...last },
        });
        if (!recorded) return this.takeDown(now.state, now.siprec);
        continue;
      }
      const recorded = await this.record(callId, siprecId, {
        type: 'RecordSiprecStarted',
        data: { siprecId, attempt, srsUri, sipCallId: answer.sipCallId },
      });
      // Stopped (or the call ended) while the SRS answered: its session and the fork are taken down.
      if (!recorded) await wire.end(now.state, now.siprec, { bye: true, sessionId });
      return;
    }
    await this.record(callId, siprecId, {
      type: 'RecordSiprecFailed',
      data: { siprecId, ...last, reason: `no SRS answered; the last: ${last.reason}` },
    });
    await wire.end(at.state, at.siprec, { bye: false });
  }

  /** A session stopped while being started: the fork (and any attempt's session) goes. */
  private takeDown(state: Started, siprec: Siprec): Promise<void> {
    return this.o.wire.end(state, siprec, { bye: true });
  }

  private async update(callId: string, siprecId: string): Promise<void> {
    const at = await this.current(callId, siprecId);
    if (at?.siprec.status !== 'started') return;
    const legIds = recordedLegs(at.state).map((l) => l.legId);
    if (legIds.length === 0) return;
    await this.o.wire.refork(at.state, at.siprec, legIds);
    const recorded = await this.record(callId, siprecId, {
      type: 'RecordSiprecUpdated',
      data: { siprecId, legIds },
    });
    if (recorded) return;
    // A pause recorded meanwhile: the re-fork may have undone it on the wire, so it is done again.
    const now = await this.current(callId, siprecId);
    if (now?.siprec.status === 'paused') await this.o.wire.pause(now.state, now.siprec);
  }

  /** Fails the session once it has made no progress for `stalledAfterMs` (nobody drives it). */
  private async whenStalled(callId: string, seen: Siprec): Promise<void> {
    const waitMs = this.o.stalledAfterMs ?? DEFAULT_SIPREC_INVITE_TIMEOUT_MS + 10_000;
    for (let last = seen; !this.closed;) {
      await new Promise((resolve) => setTimeout(resolve, waitMs).unref());
      const at = await this.current(callId, seen.siprecId).catch(() => undefined);
      if (this.closed || at?.siprec.status !== 'requested') return;
      if (at.siprec.attemptsFailed === last.attemptsFailed)
        return this.run(callId, seen.siprecId, () => this.interrupted(callId, at.state, at.siprec));
      last = at.siprec;
    }
  }

  private async interrupted(callId: string, state: Started, siprec: Siprec): Promise<void> {
    this.o.log.warn({ callId, siprecId: siprec.siprecId }, 'SIPREC start interrupted by a restart');
    await this.record(callId, siprec.siprecId, {
      type: 'RecordSiprecFailed',
      data: { siprecId: siprec.siprecId, sipStatus: 0, reason: 'interrupted by a restart' },
    });
    await this.o.wire.end(state, siprec, { bye: true, sessionId: currentSessionId(siprec) });
  }

  /** Sends a report; whether it recorded anything (nothing: the session was stopped meanwhile). */
  private async record(
    callId: string,
    siprecId: string,
    command: Pick<CallCommand, 'type' | 'data'>,
  ): Promise<boolean> {
    const outcome = await this.o.send(
      callId,
      { ...command, metadata: { now: this.o.clock(), newId: this.o.ids.next() } } as CallCommand,
      { causationId: `siprec:${siprecId}`, startsTrace: true },
    );
    return outcome.decision.events.length > 0;
  }
}
