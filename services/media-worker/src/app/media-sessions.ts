import type { Logger } from '@callctl/logging';
import { BridgeRoutes } from '../domain/bridge-session.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
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
interface LocalSession {
  offer: rtp.OfferParams;
  localTag: string;
  detectDtmf: boolean;
}

export class MediaSessions {
  /** Sessions this worker answered itself, kept so they can be re-negotiated (echo on/off). */
  private readonly local = new Map<string, LocalSession>();

  /** Parties that BridgeLegs moved out of their call's session (in memory: a restart forgets them). */
  private readonly bridges = new BridgeRoutes();

  constructor(private readonly deps: MediaSessionsDeps) {}

  /** The session a party addressed by its call's session id is in now (a bridge session, or that one). */
  sessionOf(sessionId: string, tag: string): string {
    return this.bridges.resolve(sessionId, tag);
  }

  async offer(p: rtp.OfferParams & { detectDtmf?: boolean }): Promise<string> {
    required(p.sessionId, 'session_id');
    required(p.fromTag, 'from_tag');
    required(p.sdp, 'sdp');
    const sdp = await rtp.offer(this.deps.ng, p);
    if (p.detectDtmf) await rtp.detectInbandDtmf(this.deps.ng, p.sessionId, p.fromTag);
    return sdp;
  }

  async answer(p: rtp.AnswerParams): Promise<string> {
    required(p.sessionId, 'session_id');
    required(p.toTag, 'to_tag');
    required(p.sdp, 'sdp');
    const sdp = await rtp.answer(this.deps.ng, p);
    this.bridges.record(p.sessionId, [p.fromTag, p.toTag]);
    return sdp;
  }

  /**
   * Offer from the caller plus an answer from the worker's own sink: rtpengine only plays media, echoes and
   * reports DTMF on a session with both halves. A failure after the offer deletes the half-made session.
   */
  async answerLocally(
    p: rtp.OfferParams & { localTag?: string; detectDtmf?: boolean },
  ): Promise<{ sdp: string; localTag: string }> {
    const localTag = p.localTag || `local-${required(p.fromTag, 'from_tag')}`;
    const offered = await this.offer(p);
    try {
      const sdp = await this.answerWithSink(p, localTag, offered);
      this.local.set(p.sessionId, { offer: p, localTag, detectDtmf: p.detectDtmf ?? false });
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

  /**
   * Turns echo on or off on a locally answered session: rtpengine takes `media echo` only in offer/answer,
   * so the caller's last offer is sent again with the new setting, and the sink answers again.
   */
  async setLocalEcho(sessionId: string, echo: boolean): Promise<void> {
    const session = this.local.get(sessionId);
    if (!session) throw new NotFoundError(`no locally answered session ${sessionId}`, { sessionId });
    // Leaving the key out of a re-offer keeps the old echo (seen with 10.5); `forward` replaces it with an
    // echo of the local sink to itself, which sends nothing, so the caller hears nothing back.
    const next: rtp.OfferParams = { ...session.offer, mediaEcho: echo ? 'backwards' : 'forward' };
    const offered = await rtp.offer(this.deps.ng, next);
    await this.answerWithSink(next, session.localTag, offered);
    // The re-offer may renew the party's codec handling; turn the detector on again rather than guess.
    if (session.detectDtmf) await rtp.detectInbandDtmf(this.deps.ng, sessionId, next.fromTag);
    this.local.set(sessionId, { ...session, offer: next });
    this.deps.log.info({ callId: sessionId, echo }, 'echo changed');
  }

  private answerWithSink(p: rtp.OfferParams, localTag: string, offered: string): Promise<string> {
    return rtp.answer(this.deps.ng, {
      sessionId: p.sessionId,
      fromTag: p.fromTag,
      toTag: localTag,
      sdp: localAnswerSdp(offered, this.deps.localEndpoint, Date.now()),
    });
  }

  async delete(sessionId: string): Promise<void> {
    required(sessionId, 'session_id');
    this.deps.playback.forgetSession(sessionId);
    this.local.delete(sessionId);
    this.bridges.forget(sessionId);
    await rtp.deleteSession(this.deps.ng, sessionId);
    this.deps.log.info({ callId: sessionId }, 'session deleted');
  }

  /**
   * Removes one party's branch (its offer and the answer it got, e.g. the local sink of a one-sided
   * session) and leaves the session's other parties alone; rtpengine drops the session with its last branch.
   */
  async deleteParty(sessionId: string, tag: string): Promise<void> {
    required(sessionId, 'session_id');
    required(tag, 'tag');
    this.deps.playback.forgetSession(sessionId, tag);
    if (this.local.get(sessionId)?.offer.fromTag === tag) this.local.delete(sessionId);
    await rtp.deleteParty(this.deps.ng, sessionId, tag);
    this.deps.log.info({ callId: sessionId, tag }, 'party deleted');
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
    return rtp.setMediaBlocked(this.deps.ng, this.sessionOf(sessionId, tag), tag, blocked);
  }
}
