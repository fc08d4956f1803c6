import type { Logger } from '@callctl/logging';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { LocalEndpoint } from '../domain/local-answer-sdp.js';
import { answerWithSink } from './local-answer.js';
import { dtmfDurationMs, dtmfKeysOf, negotiatesTelephoneEvent } from '../domain/dtmf-sending.js';
import type { DtmfDetection } from './operations/dtmf-detection.js';
import type { DtmfSending } from './operations/dtmf-sending.js';
import type { Echo } from './operations/echo.js';
import type { MixerRoutes } from './operations/mixer-routes.js';
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
  dtmfSending: DtmfSending;
  routes: MixerRoutes;
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
    ...(p.injectDtmf ? { injectDtmf: true } : {}),
    ...(p.profile ? { profile: p.profile } : {}),
    ...(p.offererProfile ? { offererProfile: p.offererProfile } : {}),
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
    // A re-offer of a session that sends DTMF keeps inject DTMF (rtpengine would drop it otherwise); one of
    // a party routed to a mixer names its real peer (rtpengine would take the mixer), its routes are made
    // again after the answer.
    const peer = this.deps.routes.peerWhileRouted(p.sessionId, p.fromTag);
    const offer = {
      ...offerOf(p),
      ...(this.deps.dtmfSending.injecting(p.sessionId, p.fromTag) ? { injectDtmf: true } : {}),
      ...(peer ? { toTag: peer, portLatching: true } : {}),
    };
    const sdp = await this.deps.relay.offer(offer);
    this.deps.dtmfSending.noteOffer(offer);
    this.deps.watch.track(p.sessionId, p.fromTag);
    if (p.detectDtmf) await this.deps.dtmf.start(p.sessionId, p.fromTag, negotiatesTelephoneEvent(p.sdp));
    this.deps.calls.remember(p.sessionId, p.callId ?? '');
    return sdp;
  }

  async answer(p: AnswerParams & OfCall): Promise<string> {
    required(p.sessionId, 'session_id');
    required(p.toTag, 'to_tag');
    required(p.sdp, 'sdp');
    const routed = this.deps.routes.peerWhileRouted(p.sessionId, p.fromTag) !== undefined;
    const answer: AnswerParams = {
      sessionId: p.sessionId,
      fromTag: p.fromTag,
      toTag: p.toTag,
      sdp: p.sdp,
      ...(this.deps.dtmfSending.injecting(p.sessionId, p.fromTag) ? { injectDtmf: true } : {}),
      ...(routed ? { portLatching: true } : {}),
      ...(p.profile ? { profile: p.profile } : {}),
    };
    const sdp = await this.deps.relay.answer(answer);
    this.deps.dtmfSending.noteAnswer(answer);
    if (routed) await this.deps.routes.renegotiated(p.sessionId, [p.fromTag, p.toTag]);
    this.deps.watch.track(p.sessionId, p.fromTag, p.toTag);
    this.deps.calls.remember(p.sessionId, p.callId ?? '');
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
    // The worker's sink takes plain RTP whatever the caller speaks; the caller's own profile (when given)
    // shapes the answer that goes back to it.
    const offer: OfferParams = {
      ...offerOf(p),
      ...(p.offererProfile ? { profile: 'plain', offererProfile: p.offererProfile } : {}),
    };
    const offered = await this.deps.relay.offer(offer);
    try {
      if (p.detectDtmf) await this.deps.dtmf.start(p.sessionId, p.fromTag, negotiatesTelephoneEvent(p.sdp));
      const sdp = await answerWithSink(this.deps.relay, this.deps.sink, offer, localTag, offered);
      // The caller's 200 OK waits for this answer, and these records only serve a restart: they are sent
      // now (ahead of the reply, on the same connection) but their acks are not waited for.
      this.deps.echo.adopt({ offer, localTag });
      this.deps.watch.track(p.sessionId, p.fromTag, localTag);
      this.deps.calls.remember(p.sessionId, p.callId ?? '');
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
    this.deps.calls.remember(p.sessionId, p.callId ?? '');
    return started;
  }

  /** Echo on or off for a locally answered party; its in-band DTMF detection survives the re-offer. */
  async setEcho(sessionId: string, tag: string, echo: boolean): Promise<void> {
    const offer = await (echo ? this.deps.echo.start(sessionId, tag) : this.deps.echo.stop(sessionId, tag));
    await this.deps.dtmf.renew(sessionId, offer.fromTag);
  }

  /**
   * Sends DTMF keys to `tag`, from the session's other party (the worker's own for a locally answered one);
   * false, and nothing sent, when `tag` did not negotiate telephone-event (the caller uses SIP INFO then).
   */
  async sendDtmf(
    p: {
      sessionId: string;
      tag: string;
      digits: string;
      durationMs: number;
    } & OfCall,
  ): Promise<{ sent: boolean }> {
    required(p.sessionId, 'session_id');
    required(p.tag, 'tag');
    const keys = dtmfKeysOf(required(p.digits, 'digits'));
    if ('error' in keys) throw new ValidationError(keys.error, { sessionId: p.sessionId, tag: p.tag });
    const durationMs = dtmfDurationMs(p.durationMs);
    this.deps.calls.remember(p.sessionId, p.callId ?? '');
    const local = this.deps.echo.localParty(p.sessionId, p.tag);
    if (!local) {
      const sent = await this.deps.dtmfSending.sendRelayed(p.sessionId, p.tag, keys, durationMs);
      return { sent };
    }
    if (!negotiatesTelephoneEvent(local.offer.sdp)) return { sent: false };
    // The first time (or the first in this run): re-negotiated with inject DTMF, which also tells where the
    // worker's own party sends; rtpengine keeps the ports and SDP of a re-offer of the same party.
    if (!local.offer.injectDtmf || !this.deps.dtmfSending.knowsSink(p.sessionId, p.tag)) {
      const { localTag, offered } = await this.deps.echo.renegotiate(p.sessionId, p.tag, {
        injectDtmf: true,
      });
      this.deps.dtmfSending.noteSinkOffer(p.sessionId, p.tag, localTag, offered);
      await this.deps.dtmf.renew(p.sessionId, p.tag);
    }
    await this.deps.dtmfSending.sendFromSink(p.sessionId, p.tag, keys, durationMs);
    return { sent: true };
  }

  /** In-band (tone) DTMF detection on or off for what `tag` sends; kept across restarts. */
  async setDtmfDetection(p: { sessionId: string; tag: string; inband: boolean } & OfCall): Promise<void> {
    required(p.sessionId, 'session_id');
    required(p.tag, 'tag');
    this.deps.calls.remember(p.sessionId, p.callId ?? '');
    if (!p.inband) {
      await this.deps.dtmf.disable(p.sessionId, p.tag);
      return;
    }
    const sdp =
      this.deps.echo.localParty(p.sessionId, p.tag)?.offer.sdp ??
      this.deps.dtmfSending.relayedParty(p.sessionId, p.tag)?.sdp;
    await this.deps.dtmf.start(
      p.sessionId,
      p.tag,
      sdp === undefined ? undefined : negotiatesTelephoneEvent(sdp),
    );
    this.deps.watch.track(p.sessionId, p.tag);
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
    this.deps.dtmfSending.forget(sessionId);
    this.deps.routes.forget(sessionId);
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
    this.deps.dtmfSending.forget(sessionId, tag);
    this.deps.routes.forget(sessionId, tag);
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
