import { access, constants } from 'node:fs/promises';
import { media } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { runCommand } from '../adapters/rtpengine/session-commands.js';
import type { NgClient } from '../adapters/rtpengine/ng-client.js';
import type { MediaEvents } from './media-events.js';

export interface PlaybackDeps {
  ng: NgClient;
  events: MediaEvents;
  log: Logger;
  /** Turns an http(s) URL into a local file; plain paths pass through. */
  resolveSource(source: string): Promise<string>;
  newId(): string;
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

const partyKey = (sessionId: string, tag: string) => `${sessionId}\u0000${tag}`;

/**
 * Play media to one party. rtpengine never says when a file ends, so each playback runs a timer of
 * duration x repeat from the play media reply and reports PlaybackFinished(completed) when it fires; a stop
 * (StopPlay, a new Play to the same party, Delete) reports stopped instead. One playback per party, as in
 * rtpengine, which replaces a running one.
 */
export class Playback {
  readonly name = 'playback';
  private readonly running = new Map<string, Running>();

  constructor(private readonly deps: PlaybackDeps) {}

  async start(request: StartPlay): Promise<{ playbackId: string; durationMs: number }> {
    const file = await this.deps.resolveSource(request.source);
    try {
      await access(file, constants.R_OK);
    } catch (error) {
      throw new NotFoundError(`media file not found: ${request.source}`, request, { cause: error });
    }
    const repeat = Math.max(1, request.repeat);
    const reply = await runCommand(this.deps.ng, 'playMedia', {
      'call-id': request.sessionId,
      'from-tag': request.tag,
      file,
      ...(repeat > 1 ? { 'repeat-times': repeat } : {}),
    });
    // rtpengine answers ok without a duration when it cannot decode the file (it only logs the error).
    if (typeof reply.duration !== 'number')
      throw new ValidationError(`rtpengine cannot play this media format: ${request.source}`, request);
    const durationMs = reply.duration;
    this.finish(request.sessionId, request.tag, media.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED);
    const playbackId = request.playbackId || this.deps.newId();
    const timer = setTimeout(
      () =>
        this.finish(request.sessionId, request.tag, media.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED),
      durationMs * repeat,
    );
    this.running.set(partyKey(request.sessionId, request.tag), { playbackId, timer });
    this.deps.log.info(
      { callId: request.sessionId, tag: request.tag, playbackId, durationMs, repeat },
      'playback started',
    );
    return { playbackId, durationMs };
  }

  /** Stops what plays to `tag`; returns its id, or undefined when nothing played. */
  async stop(sessionId: string, tag: string): Promise<string | undefined> {
    if (!this.running.has(partyKey(sessionId, tag))) return undefined;
    await runCommand(this.deps.ng, 'stopMedia', { 'call-id': sessionId, 'from-tag': tag });
    return this.finish(sessionId, tag, media.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED);
  }

  /** The session is gone: every playback in it is stopped, without talking to rtpengine. */
  /** Stops the session's playbacks, or only the one to `onlyTag`. */
  forgetSession(sessionId: string, onlyTag?: string): void {
    for (const key of [...this.running.keys()]) {
      const [session, tag] = key.split('\u0000');
      if (session === sessionId && tag !== undefined && (onlyTag === undefined || tag === onlyTag))
        this.finish(session, tag, media.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED);
    }
  }

  close(): void {
    for (const { timer } of this.running.values()) clearTimeout(timer);
    this.running.clear();
  }

  private finish(sessionId: string, tag: string, reason: media.PlaybackEndReason): string | undefined {
    const key = partyKey(sessionId, tag);
    const running = this.running.get(key);
    if (!running) return undefined;
    clearTimeout(running.timer);
    this.running.delete(key);
    this.deps.log.info(
      { callId: sessionId, tag, playbackId: running.playbackId, reason },
      'playback finished',
    );
    this.deps.events.emit(sessionId, {
      fact: {
        $case: 'playbackFinished',
        playbackFinished: { playbackId: running.playbackId, tag, reason },
      },
    });
    return running.playbackId;
  }
}
