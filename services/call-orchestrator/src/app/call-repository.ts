// Loads a call by replaying its stream `call-<callId>`. A bounded LRU cache keeps folded calls. `load`
// always asks the log for events after the cached version, so another instance's appends are seen.
// `cached` skips that read for the command handler, whose append names the version it decided on: the log
// refuses the append if the stream moved, and the handler then loads and decides again. After its own
// append the handler folds what it appended into the cache (`recordAppended`), so the next command of the
// call needs no read at all.
import {
  callStreamId,
  type AppendResult,
  type CodecRegistry,
  type EventStore,
  type RecordedEvent,
} from '@callctl/eventstore';
import type { CallEvent } from '../domain/call.events.js';
import { evolve, initialState, type CallState } from '../domain/call.state.js';
import { emptyTimeline, recordTime, type CallTimeline } from './call-timeline.js';

export interface LoadedCall {
  readonly callId: string;
  readonly state: CallState;
  /** The stream's version (its last event's version, 0 when it has none). */
  readonly version: number;
  readonly timeline: CallTimeline;
  /** Causation ids of the stream's events: a fact already recorded is recognised when redelivered. */
  readonly causations: ReadonlySet<string>;
  /** The call's trace: the traceparent of its first event (work of its own, a deadline, links to it). */
  readonly traceparent?: string;
}

/** @default 10000 */
export const DEFAULT_CACHED_CALLS = 10_000;

export class CallRepository {
  private readonly cache = new Map<string, LoadedCall>();

  constructor(
    private readonly store: EventStore,
    private readonly maxCached = DEFAULT_CACHED_CALLS,
  ) {}

  async load(callId: string): Promise<LoadedCall> {
    const streamId = callStreamId(callId);
    const from = this.cache.get(callId) ?? emptyCall(callId);
    const newer = await this.store.readStream(streamId, from.version + 1);
    const loaded = newer.length === 0 ? from : fold(from, newer, this.store.codecs);
    this.remember(loaded);
    return loaded;
  }

  /** The cached call, unchecked against the log (undefined when not cached). */
  cached(callId: string): LoadedCall | undefined {
    return this.cache.get(callId);
  }

  /**
   * Folds the events this process just appended (the store's result) onto the call they were decided on.
   * A duplicate append brings no events (they were recorded earlier): the call is dropped from the cache.
   * Returns the call with them (undefined after a duplicate).
   */
  recordAppended(from: LoadedCall, result: AppendResult): LoadedCall | undefined {
    if (!result.events) {
      this.forget(from.callId);
      return undefined;
    }
    const call = fold(from, result.events, this.store.codecs);
    this.remember(call);
    return call;
  }

  /** Drops a call from the cache (after a failed append whose outcome is unknown). */
  forget(callId: string): void {
    this.cache.delete(callId);
  }

  private remember(call: LoadedCall): void {
    if (call.version === 0) return;
    this.cache.delete(call.callId); // re-insert: Map order is the LRU order
    this.cache.set(call.callId, call);
    if (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
  }
}

/** A call whose stream has no events (yet). */
export function emptyCall(callId: string): LoadedCall {
  return { callId, state: initialState(), version: 0, timeline: emptyTimeline(), causations: new Set() };
}

function fold(from: LoadedCall, events: readonly RecordedEvent[], codecs: CodecRegistry): LoadedCall {
  let state = from.state;
  let timeline = from.timeline;
  const causations = new Set(from.causations);
  let traceparent = from.traceparent;
  for (const event of events) {
    if (event.streamVersion === 1) traceparent = event.metadata.traceparent;
    state = evolve(state, toCallEvent(event, codecs));
    timeline = recordTime(timeline, event);
    if (event.metadata.causationId) causations.add(event.metadata.causationId);
  }
  return {
    callId: from.callId,
    state,
    version: events[events.length - 1]!.streamVersion,
    timeline,
    causations,
    ...(traceparent ? { traceparent } : {}),
  };
}

/** The store returns each payload as the proto3 JSON it stored; the domain folds the ts-proto shape. */
export function toCallEvent(event: RecordedEvent, codecs: CodecRegistry): CallEvent {
  const codec = codecs.get(event.type);
  if (!codec) throw new Error(`no codec for event type ${event.type} at position ${event.globalPosition}`);
  return { type: event.type, data: codec.fromJSON(event.data) } as CallEvent;
}
