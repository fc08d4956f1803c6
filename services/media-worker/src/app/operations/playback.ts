import { media } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { runInTrace, workTraceparent } from '@callctl/telemetry/work-trace';
import { ValidationError } from '../../domain/errors.js';
import { playbackRemainingMs, type PlaybackRecord } from '../../domain/worker-state.js';
import type { MediaEvents } from '../media-events.js';
import { PartyMap } from '../party-map.js';
import type { MediaRelay, MediaSources, StateTable } from '../ports.js';
import { keep, partyKey, recoverRecords, type PresenceOf } from '../worker-state.js';

export interface PlaybackDeps {
  relay: MediaRelay;
  events: MediaEvents;
  log: Logger;
  /** Turns a request's source (an http(s) URL or a path) into a readable local file. */
  sources: MediaSources;
  newId(): string;
  /** Wall clock: a playback's start is recorded so that the next run can tell when it ends. */
  now(): number;
  /** Where running playbacks are recorded until the worker has reported their end. */
  state: StateTable<PlaybackRecord>;
  /** Resolves once the facts emitted so far for the session are published (or given up). */
  factsReported(sessionId: string): Promise<void>;
}

export interface StartPlay {
  sessionId: string;
  tag: string;
  source: string;
  /** Passes; 0 or 1 plays once. */
  repeat: number;
  playbackId?: string;
}

interface Running {
  playbackId: string;
  timer: NodeJS.Timeout;
}

/**
 * Play media to one party. rtpengine never says when a file ends, so each playback runs a timer of
 * duration x repeat from the play media reply and reports PlaybackFinished(completed) when it fires; a stop
 * (StopPlay, a new Play to the same party, Delete) reports stopped instead. One playback per party, as in
 * rtpengine, which replaces a running one.
 *
 * Each running playback is recorded (start time, duration, passes) before Play answers, and its record is
 * removed once its end is reported (for a completion: once the fact is published), so a worker killed
 * meanwhile resumes it at start: see resume().
 */
/** The longest a Node timer waits (2^31-1 ms, about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Playback {
  readonly name = 'playback';
  private readonly running = new PartyMap<Running>();

  constructor(private readonly deps: PlaybackDeps) {}

  async start(request: StartPlay): Promise<{ playbackId: string; durationMs: number }> {
    // A readable local file (NotFoundError otherwise).
    const file = await this.deps.sources.resolve(request.source);
    const repeat = Math.max(1, request.repeat);
    const durationMs = await this.deps.relay.playMedia(request.sessionId, request.tag, file, repeat);
    // rtpengine answers ok without a duration when it cannot decode the file (it only logs the error).
    if (durationMs === undefined)
      throw new ValidationError(`rtpengine cannot play this media format: ${request.source}`, {
        sessionId: request.sessionId,
        tag: request.tag,
      });
    this.finish(request.sessionId, request.tag, media.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED);
    const traceparent = workTraceparent();
    const record: PlaybackRecord = {
      sessionId: request.sessionId,
      tag: request.tag,
      playbackId: request.playbackId || this.deps.newId(),
      startedAtMs: this.deps.now(),
      durationMs,
      repeat,
      ...(traceparent ? { traceparent } : {}),
    };
    // The timer runs in the Play's trace scope, so the PlaybackFinished fact carries that trace.
    this.arm(record);
    await keep(
      this.deps.log,
      'playback',
      this.deps.state.put(partyKey(record.sessionId, record.tag), record),
    );
    this.deps.log.info(
      { sessionId: request.sessionId, tag: request.tag, playbackId: record.playbackId, durationMs, repeat },
      'playback started',
    );
    return { playbackId: record.playbackId, durationMs };
  }

  /**
   * Takes over the playbacks a previous run of the worker started (rtpengine kept playing them) in sessions
   * the relay still has; the records of the others are dropped, with no fact (nobody is left to hear it).
   */
  async recover(presenceOf: PresenceOf): Promise<{ kept: number; dropped: number }> {
    return recoverRecords(this.deps.state, presenceOf, this.deps.log, (record) => {
      this.resume(record);
    });
  }

  /**
   * Its timer runs for what is left of the playback, and one whose end passed while no worker ran is
   * reported completed at once.
   */
  private resume(record: PlaybackRecord): void {
    const remainingMs = playbackRemainingMs(record, this.deps.now());
    runInTrace(record.traceparent, () => this.arm(record, remainingMs));
    this.deps.log.info(
      { sessionId: record.sessionId, tag: record.tag, playbackId: record.playbackId, remainingMs },
      'playback resumed',
    );
  }

  private arm(record: PlaybackRecord, afterMs = record.durationMs * record.repeat): void {
    // A playback may outlast one timer (hold music looped a thousand times): it is re-armed for the rest.
    const timer = setTimeout(
      () =>
        afterMs > MAX_TIMER_MS
          ? this.arm(record, afterMs - MAX_TIMER_MS)
          : this.finish(record.sessionId, record.tag, media.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED),
      Math.min(afterMs, MAX_TIMER_MS),
    );
    this.running.set(record.sessionId, record.tag, { playbackId: record.playbackId, timer });
  }

  /** Stops what plays to `tag`; returns its id, or undefined when nothing played. */
  async stop(sessionId: string, tag: string): Promise<string | undefined> {
    if (!this.running.get(sessionId, tag)) return undefined;
    await this.deps.relay.stopMedia(sessionId, tag);
    return this.finish(sessionId, tag, media.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED);
  }

  /** The session is gone: its playbacks (or only the one to `onlyTag`) stop, without talking to rtpengine. */
  forget(sessionId: string, onlyTag?: string): void {
    for (const tag of onlyTag === undefined ? [...this.running.partiesOf(sessionId).keys()] : [onlyTag])
      this.finish(sessionId, tag, media.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED);
  }

  /** Forgets the timers but keeps the records: the next run of the worker reports these ends. */
  close(): void {
    for (const { timer } of this.running.values()) clearTimeout(timer);
    this.running.clear();
  }

  private finish(sessionId: string, tag: string, reason: media.PlaybackEndReason): string | undefined {
    const running = this.running.get(sessionId, tag);
    if (!running) return undefined;
    clearTimeout(running.timer);
    this.running.delete(sessionId, tag);
    this.deps.log.info({ sessionId, tag, playbackId: running.playbackId, reason }, 'playback finished');
    this.deps.events.emit(sessionId, {
      fact: {
        $case: 'playbackFinished',
        playbackFinished: { playbackId: running.playbackId, tag, reason },
      },
    });
    void this.forgetRecord(sessionId, tag, running.playbackId, reason);
    return running.playbackId;
  }

  /**
   * A completion is owed to the orchestrator until its fact is published: the record stays until then, so
   * a worker killed in between reports it again at start (under the same fact id, see fact-ids.ts). A stop
   * is the orchestrator's own doing and owes nothing.
   */
  private async forgetRecord(
    sessionId: string,
    tag: string,
    playbackId: string,
    reason: media.PlaybackEndReason,
  ): Promise<void> {
    if (reason === media.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED)
      await this.deps.factsReported(sessionId);
    // A new playback to the same party recorded meanwhile is not this one's to delete.
    if (this.running.get(sessionId, tag)) return;
    await keep(this.deps.log, 'playback end', this.deps.state.delete(partyKey(sessionId, tag)));
    this.deps.log.debug({ sessionId, tag, playbackId }, 'playback record removed');
  }
}
