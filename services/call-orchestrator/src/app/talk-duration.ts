// CallEnded.talk_duration_ms: the domain leaves it 0 because no event carries a time, so it cannot know
// when the call was answered. The app can: the first answer's recorded time is in the call's timeline, and
// the command's `now` is when it ended. Stamped before the append, it is stored like any other field, so a
// replay reads the same value.
import type { CallEvent } from '../domain/call.events.js';
import type { CallTimeline } from './call-timeline.js';

export function withTalkDuration(
  events: readonly CallEvent[],
  timeline: CallTimeline,
  nowMs: number,
): CallEvent[] {
  const answeredAt = timeline.firstAnsweredAtMs;
  // An answer decided in this same batch has no recorded time yet: it lasted no time.
  return events.map((e) =>
    e.type === 'CallEnded' && answeredAt !== undefined
      ? { ...e, data: { ...e.data, talkDurationMs: Math.max(0, nowMs - answeredAt) } }
      : e,
  );
}
