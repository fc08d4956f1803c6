// Command handling for the call aggregate (STYLE 7): load (the cached call, else replay the stream),
// decide, act, append with the expected version; on a version conflict reload and decide again, a
// bounded number of times.
//
// The wire and the log agree (README "How a command runs"): a command that acts before its append checks
// first that the log can take it (EventLogHealth), and once it has acted its events are recorded however
// long PostgreSQL is away (within a bound): the append is retried with backoff, past the caller's deadline
// in the background. The caller hears OK when the append made it in time, else UNAVAILABLE saying the
// action was done and will be recorded (ActionNotRecordedError).
import {
  callStreamId,
  isConcurrencyError,
  isEventLogUnavailable,
  type AppendMetadata,
  type AppendResult,
  type EventStore,
} from '@callctl/eventstore';
import type { Logger } from '@callctl/logging';
import {
  ATTR,
  inSpan,
  newRootTraceparent,
  runInTrace,
  spansEnabled,
  workTraceparent,
} from '@callctl/telemetry';
import type { KeyedQueue } from '@callctl/service';
import type { CallCommand } from '../domain/call.commands.js';
import { decide, type Decision } from '../domain/call.decide.js';
import { settled } from '../domain/call.settled.js';
import type { Deadline } from '../domain/call.guards.js';
import type { CallState } from '../domain/call.state.js';
import { ConcurrencyError } from '../domain/errors.js';
import { ActionNotRecordedError } from './errors.js';
import type { EventLogHealth } from './event-log-health.js';
import { emptyCall, type CallRepository, type LoadedCall } from './call-repository.js';
import type { CommandEffects, EventAmendment } from './command-effects.js';
import type { IdSource } from './ports.js';
import { withTalkDuration } from './talk-duration.js';

export interface CommandContext extends AppendMetadata {
  /**
   * Record the command only if no event of the stream has this causation id yet: a fact redelivered after
   * a crash between append and ack is recognised (a second DtmfReceived would be a second digit).
   */
  onceForCausation?: boolean;
  /** The command applies only while this holds for the freshly loaded state (a process manager's guard). */
  appliesTo?: (state: CallState) => boolean;
  /**
   * Work that nobody asked for just now (a deadline firing) starts a trace of its own, linked to the
   * call's trace, instead of continuing whatever trace happens to be in hand.
   */
  startsTrace?: boolean;
  /**
   * When the caller stops waiting (epoch ms, a gRPC deadline). An action whose events are not recorded by
   * then is answered with ActionNotRecordedError while the recording goes on.
   */
  deadline?: number;
}

export interface CommandOutcome {
  /** The id the command produced (leg, playback, collection, bridge), also on a replay. */
  resultId?: string;
  /** What was appended (empty for a replay, a duplicate fact or a no-op). */
  decision: Decision;
  call: LoadedCall;
}

/** How a process manager sends a command to a call (the handler's `handle`, as it needs it). */
export type SendCommand = (
  callId: string,
  command: CallCommand,
  context: CommandContext,
) => Promise<Pick<CommandOutcome, 'decision'>>;

export interface CommandHandlerOptions {
  store: EventStore;
  calls: CallRepository;
  /**
   * One command at a time per call inside this process: a fact about a leg waits while the command that caused
   * it (AnswerLeg: SIP 200 sent, not yet recorded) finishes, instead of racing it to the append. Across
   * processes the stream version still decides (ConcurrencyError, reload, retry).
   */
  locks: KeyedQueue;
  effects: CommandEffects;
  ids: IdSource;
  log: Logger;
  /** Called with the deadlines a recorded decision starts (the deadline process manager arms them). */
  onDeadlines?: (callId: string, deadlines: readonly Deadline[]) => void;
  /**
   * Called with the call as it is once a decision's events are recorded, and those events (the deadline
   * process manager follows a changed maximum duration).
   */
  onRecorded?: (callId: string, call: LoadedCall, events: Decision['events']) => void;
  /** Attempts on version conflicts before ConcurrencyError (ABORTED). @default 5 */
  maxAttempts?: number;
  /** First back-off between attempts, doubled each time, with jitter. @default 5 */
  conflictBackoffMs?: number;
  /** Checked before a command acts on the wire; told of every read and append outcome. */
  logHealth?: EventLogHealth;
  /** How the events of an action already done are recorded while PostgreSQL is unreachable. */
  recordRetry?: Partial<RecordRetryPolicy>;
}

export interface RecordRetryPolicy {
  /** @default 50 */
  firstDelayMs: number;
  /** @default 2000 */
  maxDelayMs: number;
  /** After this long the events are given up (logged as an error, the log misses the action). @default 600000 */
  giveUpAfterMs: number;
  /** The caller is answered this long before its deadline. @default 250 */
  replyMarginMs: number;
  /** The longest a caller without a deadline waits for the recording. @default 5000 */
  maxReplyWaitMs: number;
}

export const DEFAULT_RECORD_RETRY: RecordRetryPolicy = {
  firstDelayMs: 50,
  maxDelayMs: 2000,
  giveUpAfterMs: 600_000,
  replyMarginMs: 250,
  maxReplyWaitMs: 5000,
};

/** Set by the locked work when it acted and could not record at once: the caller may be answered early. */
interface Recording {
  deferred?: () => void;
}

export class CommandHandler {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly retry: RecordRetryPolicy;
  private closed = false;

  constructor(private readonly o: CommandHandlerOptions) {
    this.maxAttempts = o.maxAttempts ?? 5;
    this.backoffMs = o.conflictBackoffMs ?? 5;
    this.retry = { ...DEFAULT_RECORD_RETRY, ...o.recordRetry };
  }

  handle(callId: string, command: CallCommand, context: CommandContext = {}): Promise<CommandOutcome> {
    callStreamId(callId); // a malformed call id is refused before anything else (INVALID_ARGUMENT)
    // The command's trace is the work in hand while it runs: the effects' internal calls carry it, and so
    // do the log lines.
    // With spans on, a trace of its own is the command span's new root rather than a made-up parent.
    const root = context.startsTrace === true && spansEnabled();
    const traceparent = context.startsTrace
      ? root
        ? undefined
        : newRootTraceparent()
      : (context.traceparent ?? workTraceparent());
    const recording: Recording = {};
    const run = async () => {
      // With spans on, the command's span is the trace its events record (the relay's publish follows it).
      const traced = { ...context, traceparent: workTraceparent() };
      // Also before queueing: the call's lock may be held by an action still waiting for the log to record
      // it. Only then is there an await here, so commands otherwise take the lock in the order they came.
      if (this.o.logHealth?.suspect && this.o.effects.actsBeforeAppend(command))
        await this.o.logHealth.ensureWritable();
      return this.o.locks.run(callId, () => this.handleLocked(callId, command, traced, recording));
    };
    // A fact that came with no trace gets no span: it continues the call's trace (handleLocked).
    const work = runInTrace(traceparent, () =>
      traceparent || root
        ? inSpan(
            () => ({ name: `command ${command.type}`, root, attributes: { [ATTR.callId]: callId } }),
            run,
          )
        : run(),
    );
    return this.answerInTime(work, recording, callId, command, context.deadline);
  }

  /** Stops recording actions still waiting for the log (shutdown: the pool is about to end). */
  close(): void {
    this.closed = true;
  }

  /**
   * The outcome of the work, or, when it acted and is still recording at the caller's deadline,
   * ActionNotRecordedError (the work goes on, holding the call's lock, so later commands and facts of the
   * call find its events recorded first).
   */
  private answerInTime(
    work: Promise<CommandOutcome>,
    recording: Recording,
    callId: string,
    command: CallCommand,
    deadline = Infinity,
  ): Promise<CommandOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      recording.deferred = () => {
        const waitMs = Math.min(deadline - this.retry.replyMarginMs - Date.now(), this.retry.maxReplyWaitMs);
        timer = setTimeout(
          () => reject(new ActionNotRecordedError(callId, command.type)),
          Math.max(0, waitMs),
        );
      };
    });
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  private async handleLocked(
    callId: string,
    command: CallCommand,
    context: CommandContext,
    recording: Recording = {},
  ): Promise<CommandOutcome> {
    const { store, calls, effects, ids } = this.o;
    // Whether an action on the wire runs before the append: once it ran, its events must reach the log.
    const acts = effects.actsBeforeAppend(command);
    const metadata: AppendMetadata = {
      correlationId: context.correlationId,
      causationId: context.causationId,
      traceparent: context.traceparent,
    };
    let acted = false;
    let amend: EventAmendment | undefined;
    let useCache = true;
    let conflicts = 0;
    for (;;) {
      // The first try decides on the cached call without reading the log: the append names the version it
      // decided on, so a call that moved meanwhile (another instance) is refused there and decided again.
      // An outcome that appends nothing (a refusal, a no-op, a guard that no longer holds) could be the
      // cache being behind, so it is only trusted on a call read from the log, or for a fact the cached
      // call already reflects for good (domain/call.settled.ts). A command that starts a call assumes the
      // call has no stream yet, which its append ('no-stream') checks the same way.
      const cached = useCache ? (calls.cached(callId) ?? startsCall(command, callId)) : undefined;
      useCache = false;
      const call =
        cached ??
        (await this.whileLogAway(() => calls.load(callId), {
          callId,
          command,
          hasActed: acted && acts,
          recording,
        }));
      const skip = (): CommandOutcome => ({ decision: { events: [] }, call });
      if (context.startsTrace) metadata.linkedTraceparent = call.traceparent;
      // A fact that came with no trace (a digit heard in the RTP) continues the call's.
      else metadata.traceparent ??= call.traceparent;
      if (context.onceForCausation && context.causationId && call.causations.has(context.causationId))
        return skip();
      if (context.appliesTo && !context.appliesTo(call.state)) {
        if (cached) continue;
        return skip();
      }
      let decision: Decision;
      try {
        decision = inSpan(
          () => ({
            name: `decide ${command.type}`,
            attributes: { [ATTR.callId]: callId, [ATTR.streamVersion]: call.version },
          }),
          () => decide(command, call.state),
        );
      } catch (error) {
        if (cached) continue;
        if (acted && effects.alreadyDone(command, call.state)) return skip();
        throw error;
      }
      if (decision.events.length === 0) {
        if (cached && !settled(command, call.state)) continue;
        return { resultId: decision.resultId, decision, call };
      }
      if (!acted) {
        if (acts) await this.o.logHealth?.ensureWritable();
        amend = (await effects.before(callId, command, decision, call.state)) ?? undefined;
        acted = true;
      }
      // Also on a decision made again after a conflict: the action ran once, its outcome holds.
      if (amend) decision = { ...decision, events: decision.events.map(amend) };
      const events = withTalkDuration(decision.events, call.timeline, command.metadata.now).map((e) => ({
        eventId: ids.next(),
        type: e.type,
        data: e.data,
      }));
      let result: AppendResult;
      try {
        // The same events (ids and all) on each try: one that committed unseen is answered as a duplicate.
        result = await inSpan(
          () => ({
            name: 'append call',
            attributes: {
              [ATTR.callId]: callId,
              [ATTR.eventCount]: events.length,
              [ATTR.streamVersion]: call.version,
            },
            links: [metadata.linkedTraceparent],
          }),
          () =>
            this.whileLogAway(
              () =>
                store.append(
                  callStreamId(callId),
                  call.version === 0 ? 'no-stream' : call.version,
                  events,
                  metadata,
                ),
              { callId, command, hasActed: acted && acts, recording },
            ),
        );
      } catch (error) {
        calls.forget(callId);
        if (!isConcurrencyError(error)) throw error;
        if (cached) continue; // the cache was behind: no contention, load and decide again at once
        conflicts++;
        if (conflicts >= this.maxAttempts)
          throw new ConcurrencyError(call.version, error.actual, { callId }, { cause: error });
        this.o.log.debug(
          { callId, attempt: conflicts, command: command.type },
          'version conflict; reloading',
        );
        await sleep(this.backoffMs * 2 ** (conflicts - 1) * (0.5 + Math.random()));
        continue;
      }
      const recorded = calls.recordAppended(call, result);
      // Built only when wanted: this runs for every command.
      if (this.o.log.isLevelEnabled('debug'))
        this.o.log.debug(
          {
            callId,
            command: command.type,
            events: decision.events.map((e) => e.type),
            version: result.nextExpectedVersion,
            cached: cached !== undefined,
          },
          'command recorded',
        );
      if (decision.deadlines?.length) this.o.onDeadlines?.(callId, decision.deadlines);
      if (recorded) this.o.onRecorded?.(callId, recorded, decision.events);
      await this.runAfter(callId, command, decision, context, call.state);
      return { resultId: decision.resultId, decision, call };
    }
  }

  /**
   * Runs a read or append of the log. While PostgreSQL is unreachable, work that has not acted fails at
   * once (EventLogUnavailableError: UNAVAILABLE, nothing done, safe to retry); work that has acted tries
   * again with backoff until it gets through or the policy gives up.
   */
  private async whileLogAway<T>(
    io: () => Promise<T>,
    work: { callId: string; command: CallCommand; hasActed: boolean; recording: Recording },
  ): Promise<T> {
    const { firstDelayMs, maxDelayMs, giveUpAfterMs } = this.retry;
    const { hasActed, recording } = work;
    const about = { callId: work.callId, command: work.command.type };
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await io();
        this.o.logHealth?.succeeded();
        if (attempt > 0)
          this.o.log.info({ ...about, attempts: attempt + 1 }, 'event log back: action recorded');
        return result;
      } catch (error) {
        if (!isEventLogUnavailable(error)) throw error;
        this.o.logHealth?.failed();
        if (!hasActed) throw error;
        if (attempt === 0) {
          recording.deferred?.();
          this.o.log.warn(
            { ...about, err: error },
            'action done but the event log is unavailable; recording it when back',
          );
        }
        if (this.closed || Date.now() - started >= giveUpAfterMs) {
          this.o.log.error(
            { ...about, err: error, attempts: attempt + 1, shuttingDown: this.closed },
            'action done but never recorded: gave up',
          );
          throw error;
        }
        await sleep(Math.min(maxDelayMs, firstDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2));
      }
    }
  }

  private async runAfter(
    callId: string,
    command: CallCommand,
    decision: Decision,
    context: CommandContext,
    state: CallState,
  ) {
    try {
      await this.o.effects.after(callId, command, decision, state);
    } catch (error) {
      const followUp = this.o.effects.afterFailed(command, decision, error);
      if (followUp) {
        this.o.log.warn(
          { callId, err: error, command: command.type },
          'action after append failed; recording it',
        );
        // The follow-up is the action's outcome, not the fact again: the fact's causation, just recorded,
        // must not make it look like a redelivery.
        await this.handleLocked(callId, followUp, { ...context, onceForCausation: false }).catch(
          (recordError: unknown) =>
            this.o.log.error({ callId, err: recordError }, 'could not record the failed action'),
        );
      }
      throw error;
    }
  }
}

/** The empty call a call-starting command is first decided on, without reading the log. */
function startsCall(command: CallCommand, callId: string): LoadedCall | undefined {
  return command.type === 'CreateCall' || command.type === 'RecordInboundCall'
    ? emptyCall(callId)
    : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
