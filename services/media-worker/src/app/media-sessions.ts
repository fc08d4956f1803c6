import type { Logger } from '@callctl/logging';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { LocalEndpoint } from '../domain/local-answer-sdp.js';
import { answerWithSink } from './local-answer.js';
import type { DtmfDetection } from './operations/dtmf-detection.js';
import type { Echo } from './operations/echo.js';
import type { Playback, StartPlay } from './operations/playback.js';
import type { AnswerParams, MediaRelay, OfferParams } from './ports.js';
import type { SessionCalls } from './session-calls.js';
import type { SessionWatch } from './session-watch.js';

/** The relay and the modules that keep state about sessions: what session handling and restart use. */
export interface SessionModules {
  relay: MediaRelay;
  calls: SessionCalls;
  playback: Playback;
  echo: Echo;
  dtmf: DtmfDetection;
  /** The sessions whose vanishing is reported (a restart watches the surviving ones again). */
  watch: SessionWatch;
  log: Logger;
}

export interface MediaSessionsDeps extends SessionModules {
  /** Where the local party of one-sided sessions receives media. */
  sink: LocalEndpoint;
}

/** Which call a request's session belongs to (its `call_id`; empty from older callers). */
interface OfCall {
  callId?: string;
}

/** The offer as rtpengine needs it again (the request may carry more, e.g. detectDtmf). */
function offerOf(p: OfferParams): OfferParams {
  return {
    sessionId: p.sessionId,
    fromTag: p.fromTag,
    sdp: p.sdp,
    ...(p.codecs ? { codecs: p.codecs } : {}),
    ...(p.mediaEcho ? { mediaEcho: p.mediaEcho } : {}),
  };
}

function required(value: string, field: string): string {
  if (!value) throw new ValidationError(`${field} is required`);
  return value;
}

/**
 * Offer/answer/delete of relay sessions, on exactly the session and tags a request names; the media
 * operations (playback, echo, DTMF detection) do the rest, and this only tells them what happened to the
 * sessions (a delete ends what ran in them) and remembers which call each session belongs to.
 */
export class MediaSessions {
  constructor(private readonly deps: MediaSessionsDeps) {}

  async offer(p: OfferParams & OfCall & { detectDtmf?: boolean }): Promise<string> {
    required(p.sessionId, 'session_id');
    required(p.fromTag, 'from_tag');
    required(p.sdp, 'sdp');
    const sdp = await this.deps.relay.offer(offerOf(p));
    this.deps.watch.track(p.sessionId, p.fromTag);
    if (p.detectDtmf) await this.deps.dtmf.start(p.sessionId, p.fromTag);
    await this.deps.calls.remember(p.sessionId, p.callId ?? '');
    return sdp;
  }

  async answer(p: AnswerParams & OfCall): Promise<string> {
    required(p.sessionId, 'session_id');
    required(p.toTag, 'to_tag');
    required(p.sdp, 'sdp');
    const sdp = await this.deps.relay.answer({
      sessionId: p.sessionId,
      fromTag: p.fromTag,
      toTag: p.toTag,
      sdp: p.sdp,
    });
    this.deps.watch.track(p.sessionId, p.fromTag, p.toTag);
    await this.deps.calls.remember(p.sessionId, p.callId ?? '');
    return sdp;
  }

  /**
   * Offer from the caller plus an answer from the worker's own sink: rtpengine only plays media, echoes and
   * reports DTMF on a session with both halves. A failure after the offer deletes the half-made branch.
   */
  async answerLocally(
    p: OfferParams & OfCall & { localTag?: string; detectDtmf?: boolean },
  ): Promise<{ sdp: string; localTag: string }> {
    required(p.sessionId, 'session_id');
    const localTag = p.localTag || `local-${required(p.fromTag, 'from_tag')}`;
    required(p.sdp, 'sdp');
    const offer = offerOf(p);
    const offered = await this.deps.relay.offer(offer);
    try {
      if (p.detectDtmf) await this.deps.dtmf.start(p.sessionId, p.fromTag);
      const sdp = await answerWithSink(this.deps.relay, this.deps.sink, offer, localTag, offered);
      // The caller's 200 OK waits for this answer, and these records only serve a restart: they are sent
      // now (ahead of the reply, on the same connection) but their acks are not waited for.
      this.deps.echo.adopt({ offer, localTag });
      this.deps.watch.track(p.sessionId, p.fromTag, localTag);
      void this.deps.calls.remember(p.sessionId, p.callId ?? '', false);
      this.deps.log.info({ sessionId: p.sessionId, tag: p.fromTag, localTag }, 'session answered locally');
      return { sdp, localTag };
    } catch (error) {
      // Only this party's half-made branch: the session may hold other parties.
      this.deps.dtmf.stop(p.sessionId, p.fromTag);
      await this.deps.relay.deleteParty(p.sessionId, p.fromTag).catch(() => undefined);
      throw error instanceof Error && !('code' in error)
        ? new ValidationError(
            `cannot answer locally: ${error.message}`,
            { sessionId: p.sessionId },
            { cause: error },
          )
        : error;
    }
  }

  /** Plays to the party `tag` of the session named. */
  async play(p: StartPlay & OfCall): Promise<{ playbackId: string; durationMs: number }> {
    const started = await this.deps.playback.start(p);
    this.deps.watch.track(p.sessionId, p.tag);
    await this.deps.calls.remember(p.sessionId, p.callId ?? '');
    return started;
  }

  /** Echo on or off for a locally answered party; its in-band DTMF detection survives the re-offer. */
  async setEcho(sessionId: string, tag: string, echo: boolean): Promise<void> {
    const offer = await (echo ? this.deps.echo.start(sessionId, tag) : this.deps.echo.stop(sessionId, tag));
    await this.deps.dtmf.renew(sessionId, offer.fromTag);
  }

  async delete(sessionId: string): Promise<void> {
    required(sessionId, 'session_id');
    this.forgetSession(sessionId);
    await this.deps.relay.deleteSession(sessionId);
    this.deps.log.info({ sessionId }, 'session deleted');
  }

  /**
   * The relay dropped the session by itself (SessionWatch reported it): what ran in it is over, and its
   * records go (a prompt in it is not reported as completed).
   */
  vanished(sessionId: string): void {
    this.forgetSession(sessionId);
  }

  private forgetSession(sessionId: string): void {
    this.deps.playback.forget(sessionId);
    this.deps.echo.forget(sessionId);
    this.deps.dtmf.stop(sessionId);
    this.deps.calls.forget(sessionId);
    this.deps.watch.forget(sessionId);
  }

  /**
   * Removes one party's branch (its offer and the answer it got, e.g. the local sink of a one-sided
   * session) and leaves the session's other parties alone; rtpengine drops the session with its last branch.
   */
  async deleteParty(sessionId: string, tag: string): Promise<void> {
    required(sessionId, 'session_id');
    required(tag, 'tag');
    this.deps.playback.forget(sessionId, tag);
    this.deps.echo.forget(sessionId, tag);
    this.deps.dtmf.stop(sessionId, tag);
    // A check running now must not take the session our delete may remove for a loss (a new generation).
    this.deps.watch.track(sessionId);
    await this.deps.relay.deleteParty(sessionId, tag);
    // rtpengine drops the session with its last branch: that is our doing, not a loss.
    const gone = await this.deps.relay.querySession(sessionId).then(
      () => false,
      (error: unknown) => error instanceof NotFoundError,
    );
    if (gone) this.deps.watch.forget(sessionId);
    this.deps.log.info({ sessionId, tag, sessionGone: gone }, 'party deleted');
  }

  async query(sessionId: string): Promise<{ tags: string[]; detailJson: string }> {
    required(sessionId, 'session_id');
    const reply = await this.deps.relay.querySession(sessionId);
    const tags = typeof reply.tags === 'object' && reply.tags !== null ? Object.keys(reply.tags) : [];
    return { tags, detailJson: JSON.stringify(reply) };
  }

  setMediaBlocked(sessionId: string, tag: string, blocked: boolean): Promise<void> {
    required(sessionId, 'session_id');
    required(tag, 'tag');
    return this.deps.relay.setMediaBlocked(sessionId, tag, blocked);
  }
}
