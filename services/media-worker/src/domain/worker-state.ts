// What the worker owes across a restart. rtpengine keeps the media of every session when the worker dies,
// but it never reports a playback's end, so the records of what the worker owes are kept outside the process
// (app/ports.ts, WorkerState) and read back at start.

/** A playback whose end the worker still has to report (PlaybackFinished when its time is up). */
export interface PlaybackRecord {
  /** The rtpengine session the prompt plays in, as the Play request named it. */
  sessionId: string;
  tag: string;
  playbackId: string;
  /** Wall-clock time of rtpengine's `play media` reply, when the first pass started. */
  startedAtMs: number;
  /** One pass, from rtpengine's reply. */
  durationMs: number;
  /** Passes; 1 or more. */
  repeat: number;
  /** The trace of the Play that started it: its end is reported under it, also by the next run. */
  traceparent?: string;
}

/** When the playback's last pass ends. */
export function playbackEndsAtMs(record: PlaybackRecord): number {
  return record.startedAtMs + record.durationMs * Math.max(1, record.repeat);
}

/** How long the worker still waits for the playback's end, 0 when it passed (it is reported at once). */
export function playbackRemainingMs(record: PlaybackRecord, nowMs: number): number {
  return Math.max(0, playbackEndsAtMs(record) - nowMs);
}

/** Whether rtpengine still has a session, from its `query` answer. */
export type SessionPresence = 'present' | 'gone' | 'unknown';

/**
 * A record survives the restart unless rtpengine said its session is gone: media that stopped cannot end a
 * prompt or carry an echo. An unreachable rtpengine proves nothing, so its records are kept.
 */
export function survivesRestart(presence: SessionPresence): boolean {
  return presence !== 'gone';
}
