// The process manager for timeouts: ring timeout, maximum call duration, digit-collection and prompt timeouts. It
// keeps one timer per deadline in memory and, when one fires, sends the command that acts on it. Nothing
// is stored: on start, every active call's deadlines are rebuilt from the log (deadlines-of.ts), so a
// restart (even kill -9) keeps them, and a deadline that fell due while the process was down fires at once.
// Timers yield to facts: before acting, a deadline lets the call's facts not yet applied (waiting in the
// facts consumer, or pending on CALLCTL_FACTS) be applied first, so that it never overrides something that
// already happened on the wire; a ring timeout also asks sip-edge whether the leg was answered meanwhile
// (its LegAnswered fact may be stuck in sip-edge while NATS is down) and records the answer instead.
import { ERROR_KINDS, errorKindOf } from '@callctl/errors';
import type { Logger } from '@callctl/logging';
import { callEvents } from '@callctl/proto';
import type { CallCommand, CommandMetadata } from '../../domain/call.commands.js';
import type { Deadline } from '../../domain/call.guards.js';
import type { CallState } from '../../domain/call.state.js';
import type { CommandContext, SendCommand } from '../handle-command.js';
import type { LoadedCall } from '../call-repository.js';
import { deadlineKey, deadlinesOf } from './deadlines-of.js';
import { PERMANENT_KINDS } from '../errors.js';
import type { Clock, IdSource, SipEdgePort } from '../ports.js';

export interface DeadlineManagerOptions {
  send: SendCommand;
  clock: Clock;
  ids: IdSource;
  log: Logger;
  /** A firing whose command failed for a transient reason (peer down) is retried after this. @default 2000 */
  retryMs?: number;
  /**
   * Applies the call's facts not yet applied, waiting at most `timeoutMs`; false when some still were
   * (facts-consumer.ts `settle`). @default none: the deadline acts at once
   */
  settleFacts?: (callId: string, timeoutMs: number) => Promise<boolean>;
  /** How long a firing waits for the call's pending facts. @default 3000 */
  settleFactsMs?: number;
  /** What a phone's REFER left undecided at its deadline gets (REFER_DEFAULT_DECISION). @default accept */
  referDefaultAccept?: boolean;
  /** Asked by a ring timeout whether sip-edge has the leg answered. @default none */
  sipEdge?: Pick<SipEdgePort, 'legsOfCall'>;
}

/** setTimeout's limit; a longer deadline is re-armed when this elapses. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const { EndCause } = callEvents;

/** The leg still waits for an answer. */
const ringing = (s: CallState, legId: string) =>
  s.status === 'active' && (s.legs[legId]?.status === 'initiated' || s.legs[legId]?.status === 'ringing');

/** Calls loaded together by a re-arm: two of the store's batched reads. */
const REARM_CHUNK = 512;

export class DeadlineManager {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** When each armed timer is due (the maximum duration follows the call's latest limit: follow). */
  private readonly dueAt = new Map<string, number>();
  private readonly retryMs: number;
  private closed = false;

  constructor(private readonly o: DeadlineManagerOptions) {
    this.retryMs = o.retryMs ?? 2000;
  }

  /** Arms each deadline unless one with the same key runs already. */
  arm(callId: string, deadlines: readonly Deadline[]): void {
    for (const d of deadlines) {
      const key = deadlineKey(callId, d);
      if (!this.timers.has(key)) this.schedule(key, callId, d, d.atMs);
    }
  }

  /**
   * Arms the deadlines of these calls as rebuilt from the log (deadlines-of.ts): on start, and then now and
   * again so that an instance also holds the deadlines that another, since dead, instance armed.
   */
  async rearm(callIds: readonly string[], load: (callId: string) => Promise<LoadedCall>): Promise<number> {
    let armed = 0;
    // Loads in chunks, each chunk's at once: the store reads the streams of waiting loads together, a few
    // hundred per query. One load at a time was a round trip per call (22 s for 10,000 calls); all 10,000
    // at once would queue the commands and GetCalls of a just-restarted instance behind them.
    for (let start = 0; start < callIds.length && !this.closed; start += REARM_CHUNK) {
      const chunk = callIds.slice(start, start + REARM_CHUNK);
      for (const call of await Promise.all(chunk.map(load))) {
        if (this.closed) break;
        const callId = call.callId;
        const due = deadlinesOf(call.state, call.timeline);
        this.arm(callId, due);
        this.follow(callId, call);
        armed += due.length;
      }
    }
    return armed;
  }

  /**
   * The maximum duration follows the call's latest limit (a later AnswerLeg's CallMaxDurationSet), counted
   * from the first answer as the log gives it: a timer armed for another limit (or the first answer's, timed
   * by its command rather than the log) is replaced, one for a limit that became 0 (none) is cancelled. Called with the call once its events are recorded, and on
   * each re-arm from the log (another instance may have changed it).
   */
  follow(callId: string, call: LoadedCall): void {
    const key = deadlineKey(callId, { kind: 'maxDuration', atMs: 0 });
    const due = deadlinesOf(call.state, call.timeline).find((d) => d.kind === 'maxDuration');
    if (this.dueAt.get(key) === due?.atMs) return;
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.dueAt.delete(key);
    if (due) this.schedule(key, callId, due, due.atMs);
  }

  /** Keys of the timers armed for a call (see deadlineKey), for logs and tests. */
  armedFor(callId: string): string[] {
    return [...this.timers.keys()].filter((key) => key.startsWith(`${callId}|`));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.dueAt.clear();
  }

  private schedule(key: string, callId: string, d: Deadline, atMs: number): void {
    if (this.closed) return;
    const wait = Math.min(Math.max(0, atMs - this.o.clock()), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      if (this.o.clock() < atMs) return this.schedule(key, callId, d, atMs);
      this.timers.delete(key);
      this.dueAt.delete(key);
      void this.fire(key, callId, d);
    }, wait);
    timer.unref();
    this.timers.set(key, timer);
    this.dueAt.set(key, atMs);
  }

  private async fire(key: string, callId: string, d: Deadline): Promise<void> {
    try {
      await this.yieldToFacts(callId, d);
      const { command, context } =
        d.kind === 'ringTimeout' && (await this.answeredAtEdge(callId, d.legId))
          ? this.answerFor(d.legId)
          : this.commandFor(d);
      const outcome = await this.o.send(callId, command, {
        ...context,
        causationId: `deadline:${key}`,
        startsTrace: true,
      });
      // Nothing recorded: the call ended, or the leg or collection moved on, before the timer fired.
      if (outcome.decision.events.length === 0)
        this.o.log.debug({ callId, deadline: d.kind }, 'deadline no longer applies; nothing done');
      // A prompt that timed out was lost (never played, or its end never reported): worth a look.
      else if (d.kind === 'promptTimeout')
        this.o.log.warn(
          { callId, deadline: d.kind, playbackId: d.playbackId },
          'prompt still playing past its length; recorded as failed',
        );
      else this.o.log.info({ callId, deadline: d.kind }, 'deadline acted on');
    } catch (error) {
      // A refusal means the deadline no longer applies; anything else (peer down) is retried.
      if (PERMANENT_KINDS.has(errorKindOf(error))) {
        this.o.log.info({ callId, deadline: d.kind, err: error }, 'deadline no longer applies');
        return;
      }
      this.o.log.warn({ callId, deadline: d.kind, err: error }, 'deadline action failed; retrying');
      if (!this.timers.has(key)) this.schedule(key, callId, d, this.o.clock() + this.retryMs);
    }
  }

  /** What happened on the wire before the deadline is recorded before it acts. */
  private async yieldToFacts(callId: string, d: Deadline): Promise<void> {
    if (!this.o.settleFacts) return;
    const settled = await this.o.settleFacts(callId, this.o.settleFactsMs ?? 3000).catch(() => false);
    if (!settled)
      this.o.log.warn({ callId, deadline: d.kind }, 'deadline acts with facts of the call still pending');
  }

  /**
   * Whether sip-edge holds the leg answered, asked of the instance holding the call (the announcements of
   * the others may be missing, as while NATS is down). When that instance cannot tell, the firing fails
   * and is retried: a NO_ANSWER recorded over a 2xx that the log has not seen yet would disagree with the
   * wire for good. No instance holding the call means no leg answered.
   */
  private async answeredAtEdge(callId: string, legId: string): Promise<boolean> {
    if (!this.o.sipEdge) return false;
    try {
      const legs = await this.o.sipEdge.legsOfCall(callId);
      return legs.some((l) => l.legId === legId && l.sipState === 'answered');
    } catch (error) {
      if (errorKindOf(error) === ERROR_KINDS.notFound) return false;
      throw error;
    }
  }

  /** sip-edge says the leg answered although no fact said so yet: the answer is recorded, not a NO_ANSWER. */
  private answerFor(legId: string): { command: CallCommand; context: CommandContext } {
    const metadata: CommandMetadata = { now: this.o.clock(), newId: this.o.ids.next() };
    return {
      command: { type: 'RecordLegAnswered', data: { legId }, metadata },
      context: { appliesTo: (s) => ringing(s, legId) },
    };
  }

  private commandFor(d: Deadline): { command: CallCommand; context: CommandContext } {
    const metadata: CommandMetadata = { now: this.o.clock(), newId: this.o.ids.next() };
    switch (d.kind) {
      case 'ringTimeout':
        return {
          command: {
            type: 'Hangup',
            data: { legId: d.legId, cause: EndCause.END_CAUSE_NO_ANSWER, reason: 'ring timeout' },
            metadata,
          },
          // Only while the leg still waits: an answer that raced the timer wins.
          context: { appliesTo: (s) => ringing(s, d.legId) },
        };
      case 'maxDuration':
        return {
          command: {
            type: 'Hangup',
            data: { cause: EndCause.END_CAUSE_MAX_DURATION, reason: 'maximum call duration reached' },
            metadata,
          },
          context: {},
        };
      case 'collectTimeout':
        return {
          command: {
            type: 'RecordCollectTimeout',
            data: { collectId: d.collectId, expectedDigits: d.expectedDigits },
            metadata,
          },
          context: {},
        };
      case 'transferDecision':
        // A decision that came in time wins: DecideTransfer by deadline decides nothing then.
        return {
          command: {
            type: 'DecideTransfer',
            data: {
              transferId: d.transferId,
              accept: this.o.referDefaultAccept ?? true,
              sipStatus: 0,
              byDeadline: true,
            },
            metadata,
          },
          context: {},
        };
      case 'referOutcome':
        // The phone's outcome, had it come, was applied first (timers yield to facts) and closed the
        // transfer: this then decides nothing. Otherwise the REFER is given up as sip-edge's timer would.
        return {
          command: {
            type: 'RecordReferProgress',
            data: {
              transferId: d.transferId,
              sipStatus: 408,
              reason: 'no outcome of the REFER from the phone in time',
              final: true,
            },
            metadata,
          },
          context: {},
        };
      case 'promptTimeout':
        // The prompt is taken as lost (never played, or its end never reported): FAILED moves the
        // collection on, to the next prompt or the first-digit timer (prompts.ts). A prompt that ended
        // meanwhile stays as it ended.
        return {
          command: {
            type: 'RecordPlaybackFinished',
            data: { playbackId: d.playbackId, failed: true },
            metadata,
          },
          context: {
            appliesTo: (s) => s.status === 'active' && s.playbacks[d.playbackId]?.status === 'playing',
          },
        };
    }
  }
}
