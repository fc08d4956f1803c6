// Loads a call by replaying its stream `call-<callId>`. A bounded LRU cache keeps folded calls, but every
// load still asks the log for events after the cached version: the cache saves the fold, never the check,
// so another instance's appends are always seen.
import { callStreamId, type CodecRegistry, type EventStore, type RecordedEvent } from '@callctl/eventstore';
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
    const cached = this.cache.get(callId);
    const from: LoadedCall = cached ?? {
      callId,
      state: initialState(),
      version: 0,
      timeline: emptyTimeline(),
      causations: new Set(),
    };
    const newer = await this.store.readStream(streamId, from.version + 1);
    const loaded = newer.length === 0 ? from : fold(from, newer, this.store.codecs);
    this.remember(loaded);
    return loaded;
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

function fold(from: LoadedCall, events: readonly RecordedEvent[], codecs: CodecRegistry): LoadedCall {
  let state = from.state;
  let timeline = from.timeline;
  const causations = new Set(from.causations);
  for (const event of events) {
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
  };
}

/** The store returns each payload as the proto3 JSON it stored; the domain folds the ts-proto shape. */
export function toCallEvent(event: RecordedEvent, codecs: CodecRegistry): CallEvent {
  const codec = codecs.get(event.type);
  if (!codec) throw new Error(`no codec for event type ${event.type} at position ${event.globalPosition}`);
  return { type: event.type, data: codec.fromJSON(event.data) } as CallEvent;
}
