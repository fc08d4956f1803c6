// Every callback of the log in memory (get, list, the active count, decide's state): read whole at start,
// then kept current by a subscription to the log, so instances sharing the database agree. A writer folds its
// own appends at once; the subscription delivering them again changes nothing (versions).
import type { CodecRegistry, RecordedEvent } from '@callctl/eventstore';
import {
  CALLBACK_EVENT_TYPES,
  evolve,
  initialState,
  isOver,
  type CallbackEvent,
  type CallbackState,
} from '../domain/callback.state.js';
import { callbackIdOfStream } from './claims.js';

export class CallbackProjection {
  private readonly byId = new Map<string, CallbackState>();
  /** The highest global position folded. */
  position = 0;

  constructor(private readonly codecs: CodecRegistry) {}

  get(callbackId: string): CallbackState | undefined {
    return this.byId.get(callbackId);
  }

  all(): IterableIterator<CallbackState> {
    return this.byId.values();
  }

  active(): number {
    let n = 0;
    for (const s of this.byId.values()) if (s.request && !isOver(s)) n++;
    return n;
  }

  /** Replaces a callback's state (a writer's, after its append). Never goes back to an older version. */
  put(s: CallbackState): void {
    const known = this.byId.get(s.callbackId);
    if (!known || known.version <= s.version) this.byId.set(s.callbackId, s);
  }

  /** Folds events of the log (callback streams only; others are skipped); returns the callbacks changed. */
  apply(events: readonly RecordedEvent[]): CallbackState[] {
    const changed = new Map<string, CallbackState>();
    for (const e of events) {
      this.position = Math.max(this.position, e.globalPosition);
      const callbackId = callbackIdOfStream(e.streamId);
      if (!callbackId || !CALLBACK_EVENT_TYPES.has(e.type)) continue;
      const s = this.byId.get(callbackId) ?? initialState(callbackId);
      if (e.streamVersion <= s.version) continue;
      const next = foldRecorded(s, e, this.codecs);
      this.byId.set(callbackId, next);
      changed.set(callbackId, next);
    }
    return [...changed.values()];
  }
}

/** The event of a recorded one (payload decoded from its proto3 JSON). */
export function eventOf(e: RecordedEvent, codecs: CodecRegistry): CallbackEvent {
  const codec = codecs.get(e.type);
  if (!codec) throw new Error(`no codec for ${e.type}`);
  return { type: e.type, data: codec.fromJSON(e.data) } as CallbackEvent;
}

export function foldRecorded(s: CallbackState, e: RecordedEvent, codecs: CodecRegistry): CallbackState {
  return evolve(s, eventOf(e, codecs), {
    version: e.streamVersion,
    position: e.globalPosition,
    recordedAt: e.metadata.recordedAt,
  });
}
