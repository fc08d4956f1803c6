import type { Logger } from '@callctl/logging';
import { BridgeRoutes, callSessionOf } from '../domain/bridge-session.js';
import type { BridgeRecord } from '../domain/worker-state.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { localAnswerSdp, type LocalEndpoint } from '../domain/local-answer-sdp.js';
import type { NgClient } from '../adapters/rtpengine/ng-client.js';
import * as rtp from '../adapters/rtpengine/session-commands.js';
import type { Playback } from './playback.js';
import { PartyMap } from './party-map.js';
import { keep, partyKey, type LocalSessionRecord, type WorkerState } from './worker-state.js';

export interface MediaSessionsDeps {
  ng: NgClient;
  playback: Playback;
  log: Logger;
  /** Where the local party of one-sided sessions receives media. */
  localEndpoint: LocalEndpoint;
  /** Where bridge routes and locally answered sessions are recorded, for the next run of the worker. */
  state: Pick<WorkerState, 'bridges' | 'localSessions'>;
}

/** The offer as rtpengine needs it again (the request may carry more, e.g. detectDtmf). */
function offerOf(p: rtp.OfferParams): rtp.OfferParams {
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

const isBridgeSession = (sessionId: string) => callSessionOf(sessionId) !== sessionId;

/**
 * Offer/answer/delete of rtpengine sessions keyed by the caller's session id and SIP tags. What it must
 * remember of them (local sessions, bridge routes) is also recorded in the worker state, before the request
 * that made it is answered, and handed back by restore*() when the worker starts again.
 */
export class MediaSessions {
  /**
   * Parties this worker answered itself, kept so they can be re-negotiated (echo on/off). A call's session
   * can hold several (an inbound caller and a dialled leg, each answered alone).
   */
  private readonly local = new PartyMap<LocalSessionRecord>();

  /** Parties that BridgeLegs moved out of their call's session. */
  private readonly bridges = new BridgeRoutes();

  constructor(private readonly deps: MediaSessionsDeps) {}

  /** The session a party addressed by its call's session id is in now (a bridge session, or that one). */
  sessionOf(sessionId: string, tag: string): string {
    return this.bridges.resolve(sessionId, tag);
  }

  /** A bridge a previous run of the worker answered: its parties are reached there again. */
  restoreBridge(record: BridgeRecord): void {
    this.bridges.record(record.sessionId, record.tags);
  }

  /** A session a previous run answered itself: echo can be turned on and off again. */
  restoreLocal(record: LocalSessionRecord): void {
    this.local.set(record.offer.sessionId, record.offer.fromTag, record);
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
    if (isBridgeSession(p.sessionId)) {
      const tags = [p.fromTag, p.toTag];
      this.bridges.record(p.sessionId, tags);
      await keep(
        this.deps.log,
        'bridge',
        this.deps.state.bridges.put(p.sessionId, { sessionId: p.sessionId, tags }),
      );
    }
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
      // The caller's 200 OK waits for this answer, and the record only serves echo after a restart: it is
      // sent now (ahead of the reply, on the same connection) but its ack is not waited for.
      void this.rememberLocal({ offer: offerOf(p), localTag, detectDtmf: p.detectDtmf ?? false });
      this.deps.log.info({ callId: p.sessionId, tag: p.fromTag, localTag }, 'session answered locally');
      return { sdp, localTag };
    } catch (error) {
      // Only this party's half-made branch: the session may hold other parties.
      await rtp.deleteParty(this.deps.ng, p.sessionId, p.fromTag).catch(() => undefined);
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
  async setLocalEcho(sessionId: string, tag: string, echo: boolean): Promise<void> {
    const session = this.localParty(sessionId, tag);
    // Leaving the key out of a re-offer keeps the old echo (seen with 10.5); `forward` replaces it with an
    // echo of the local sink to itself, which sends nothing, so the caller hears nothing back.
    const next: rtp.OfferParams = { ...session.offer, mediaEcho: echo ? 'backwards' : 'forward' };
    const offered = await rtp.offer(this.deps.ng, next);
    await this.answerWithSink(next, session.localTag, offered);
    // The re-offer may renew the party's codec handling; turn the detector on again rather than guess.
    if (session.detectDtmf) await rtp.detectInbandDtmf(this.deps.ng, sessionId, next.fromTag);
    await this.rememberLocal({ ...session, offer: next });
    this.deps.log.info({ callId: sessionId, echo }, 'echo changed');
  }

  /** The locally answered party `tag` of the session; with no tag, the session's only one. */
  private localParty(sessionId: string, tag: string): LocalSessionRecord {
    const parties = this.local.partiesOf(sessionId);
    if (tag) {
      const party = parties.get(tag);
      if (!party)
        throw new NotFoundError(`no locally answered party ${tag} in session ${sessionId}`, { sessionId });
      return party;
    }
    if (parties.size === 0)
      throw new NotFoundError(`no locally answered session ${sessionId}`, { sessionId });
    if (parties.size > 1)
      throw new ValidationError(
        `session ${sessionId} has ${parties.size} locally answered parties: name one by its tag`,
        { sessionId },
      );
    return parties.values().next().value!;
  }

  private async rememberLocal(record: LocalSessionRecord): Promise<void> {
    this.local.set(record.offer.sessionId, record.offer.fromTag, record);
    const key = partyKey(record.offer.sessionId, record.offer.fromTag);
    await keep(this.deps.log, 'local session', this.deps.state.localSessions.put(key, record));
  }

  /** Forgets the session's locally answered parties, or only `tag`'s. */
  private forgetLocal(sessionId: string, tag?: string): void {
    for (const forgotten of tag === undefined ? [...this.local.partiesOf(sessionId).keys()] : [tag]) {
      if (!this.local.delete(sessionId, forgotten)) continue;
      const key = partyKey(sessionId, forgotten);
      void keep(this.deps.log, 'local session end', this.deps.state.localSessions.delete(key));
    }
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
    this.forgetLocal(sessionId);
    this.bridges.forget(sessionId);
    if (isBridgeSession(sessionId))
      void keep(this.deps.log, 'bridge end', this.deps.state.bridges.delete(sessionId));
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
    this.forgetLocal(sessionId, tag);
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
