import type { Logger } from '@callctl/logging';
import { ValidationError } from '../domain/errors.js';
import { localAnswerSdp, type LocalEndpoint } from '../domain/local-answer-sdp.js';
import type { NgClient } from '../adapters/rtpengine/ng-client.js';
import * as rtp from '../adapters/rtpengine/session-commands.js';
import type { Playback } from './playback.js';

export interface MediaSessionsDeps {
  ng: NgClient;
  playback: Playback;
  log: Logger;
  /** Where the local party of one-sided sessions receives media. */
  localEndpoint: LocalEndpoint;
}

function required(value: string, field: string): string {
  if (!value) throw new ValidationError(`${field} is required`);
  return value;
}

/** Offer/answer/delete of rtpengine sessions keyed by the caller's session id and SIP tags. */
export class MediaSessions {
  constructor(private readonly deps: MediaSessionsDeps) {}

  offer(p: rtp.OfferParams): Promise<string> {
    required(p.sessionId, 'session_id');
    required(p.fromTag, 'from_tag');
    required(p.sdp, 'sdp');
    return rtp.offer(this.deps.ng, p);
  }

  answer(p: rtp.AnswerParams): Promise<string> {
    required(p.sessionId, 'session_id');
    required(p.toTag, 'to_tag');
    required(p.sdp, 'sdp');
    return rtp.answer(this.deps.ng, p);
  }

  /**
   * Offer from the caller plus an answer from the worker's own sink: rtpengine only plays media, echoes and
   * reports DTMF on a session with both halves. A failure after the offer deletes the half-made session.
   */
  async answerLocally(
    p: rtp.OfferParams & { localTag?: string },
  ): Promise<{ sdp: string; localTag: string }> {
    const localTag = p.localTag || `local-${required(p.fromTag, 'from_tag')}`;
    const offered = await this.offer(p);
    try {
      const dummy = localAnswerSdp(offered, this.deps.localEndpoint, Date.now());
      const sdp = await rtp.answer(this.deps.ng, {
        sessionId: p.sessionId,
        fromTag: p.fromTag,
        toTag: localTag,
        sdp: dummy,
      });
      this.deps.log.info({ callId: p.sessionId, tag: p.fromTag, localTag }, 'session answered locally');
      return { sdp, localTag };
    } catch (error) {
      await rtp.deleteSession(this.deps.ng, p.sessionId).catch(() => undefined);
      throw error instanceof Error && !('code' in error)
        ? new ValidationError(
            `cannot answer locally: ${error.message}`,
            { sessionId: p.sessionId },
            { cause: error },
          )
        : error;
    }
  }

  async delete(sessionId: string): Promise<void> {
    required(sessionId, 'session_id');
    this.deps.playback.forgetSession(sessionId);
    await rtp.deleteSession(this.deps.ng, sessionId);
    this.deps.log.info({ callId: sessionId }, 'session deleted');
  }

  async query(sessionId: string): Promise<{ tags: string[]; detailJson: string }> {
    required(sessionId, 'session_id');
    const reply = await rtp.querySession(this.deps.ng, sessionId);
    const tags = typeof reply.tags === 'object' && reply.tags !== null ? Object.keys(reply.tags) : [];
    return { tags, detailJson: JSON.stringify(reply) };
  }

  setMediaBlocked(sessionId: string, tag: string, blocked: boolean): Promise<void> {
    required(sessionId, 'session_id');
    required(tag, 'tag');
    return rtp.setMediaBlocked(this.deps.ng, sessionId, tag, blocked);
  }
}
