// Command handling for the call aggregate (STYLE 7): load (the cached call, else replay the stream),
// decide, act, append with the expected version; on a version conflict reload and decide again, a
// bounded number of times.
import {
  callStreamId,
  isConcurrencyError,
  type AppendMetadata,
  type AppendResult,
  type EventStore,
} from '@callctl/eventstore';
import type { Logger } from '@callctl/logging';
import { newRootTraceparent, runInTrace, workTraceparent } from '@callctl/telemetry';
import type { CallCommand } from '../domain/call.commands.js';
import { decide, type Decision } from '../domain/call.decide.js';
import { settled } from '../domain/call.settled.js';
import type { Deadline } from '../domain/call.guards.js';
import type { CallState } from '../domain/call.state.js';
import { ConcurrencyError } from '../domain/errors.js';
import type { CallLocks } from './call-locks.js';
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
}

export interface CommandOutcome {
  /** The id the command produced (leg, playback, collection, bridge), also on a replay. */
  resultId?: string;
  /** What was appended (empty for a replay, a duplicate fact or a no-op). */
  decision: Decision;
  call: LoadedCall;
}

export interface CommandHandlerOptions {
  store: EventStore;
  calls: CallRepository;
  locks: CallLocks;
  effects: CommandEffects;
  ids: IdSource;
  log: Logger;
  /** Called with the deadlines a recorded decision starts (the deadline process manager arms them). */
  onDeadlines?: (callId: string, deadlines: readonly Deadline[]) => void;
  /** Attempts on version conflicts before ConcurrencyError (ABORTED). @default 5 */
  maxAttempts?: number;
  /** First back-off between attempts, doubled each time, with jitter. @default 5 */
  conflictBackoffMs?: number;
}

export class CommandHandler {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;

  constructor(private readonly o: CommandHandlerOptions) {
    this.maxAttempts = o.maxAttempts ?? 5;
    this.backoffMs = o.conflictBackoffMs ?? 5;
  }

  handle(callId: string, command: CallCommand, context: CommandContext = {}): Promise<CommandOutcome> {
    callStreamId(callId); // a malformed call id is refused before anything else (INVALID_ARGUMENT)
    // The command's trace is the work in hand while it runs: the effects' internal calls carry it, and so
    // do the log lines.
    const traceparent = context.startsTrace
      ? newRootTraceparent()
      : (context.traceparent ?? workTraceparent());
    const traced = { ...context, traceparent };
    return runInTrace(traceparent, () =>
      this.o.locks.run(callId, () => this.handleLocked(callId, command, traced)),
    );
  }

  private async handleLocked(
    callId: string,
    command: CallCommand,
    context: CommandContext,
  ): Promise<CommandOutcome> {
    const { store, calls, effects, ids } = this.o;
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
      const call = cached ?? (await calls.load(callId));
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
        decision = decide(command, call.state);
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
        result = await store.append(
          callStreamId(callId),
          call.version === 0 ? 'no-stream' : call.version,
          events,
          metadata,
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
      calls.recordAppended(call, result);
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
      await this.runAfter(callId, command, decision, context);
      return { resultId: decision.resultId, decision, call };
    }
  }

  private async runAfter(callId: string, command: CallCommand, decision: Decision, context: CommandContext) {
    try {
      await this.o.effects.after(callId, command, decision);
    } catch (error) {
      const followUp = this.o.effects.afterFailed(command, decision, error);
      if (followUp) {
        this.o.log.warn(
          { callId, err: error, command: command.type },
          'action after append failed; recording it',
        );
        await this.handleLocked(callId, followUp, context).catch((recordError: unknown) =>
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
