import type { Logger } from '@callctl/logging';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import {
  checkForkRequest,
  forkPlan,
  forkTranscodeCodecs,
  type ForkedParty,
  type ForkRequest,
} from '../../domain/fork-answer-sdp.js';
import {
  checkRecordingForkAnswer,
  checkRecordingForkRequest,
  labelledRecordingOffer,
  type RecordingForkRequest,
} from '../../domain/recording-fork-sdp.js';
import { tagRoleOf } from '../../domain/session-tags.js';
import type { MediaRelay, SubscribeParams } from '../ports.js';

export interface ForksDeps {
  relay: MediaRelay;
  log: Logger;
}

/**
 * Copies of what some parties of a session send, to UDP ports of the recording service (rtpengine subscribe
 * request + subscribe answer; the call's own media is untouched). The fork lives in rtpengine alone: the
 * worker keeps no state and no record of it, so a restart of the worker (kill -9 included) leaves it running,
 * and it ends with its session (Delete, or rtpengine dropping the session). Its to-tag (the fork id) is never
 * named to the session watch, so a vanished session's MediaSessionLost names only its parties.
 */
export class Forks {
  readonly name = 'forks';

  constructor(private readonly deps: ForksDeps) {}

  /**
   * Starts (or replaces: same fork id, new ports) the fork. NotFoundError when the session or a party is not
   * in rtpengine; ValidationError for a bad request or a fork id that is a party's tag.
   */
  async start(request: ForkRequest & { callId?: string }): Promise<ForkedParty[]> {
    checkForkRequest(request);
    const { sessionId, forkId } = request;
    const offered = await this.subscribed({
      sessionId,
      forkId,
      fromTags: request.fromTags,
      transcode: forkTranscodeCodecs(request.wideband),
    });
    let plan: ReturnType<typeof forkPlan>;
    try {
      plan = forkPlan(request, offered.sdp, offered.fromTags);
      await this.deps.relay.answerSubscription(sessionId, forkId, plan.answerSdp);
    } catch (error) {
      // A half-made fork (requested, not answered) is ended, whatever it replaced: after a failed StartFork
      // the fork id has no fork.
      await this.deps.relay.unsubscribe(sessionId, forkId).catch(() => undefined);
      throw error;
    }
    this.deps.log.info(
      {
        sessionId,
        callId: request.callId,
        forkId,
        sinkAddress: request.sinkAddress,
        parties: plan.parties.map((p) => ({ tag: p.fromTag, port: p.sinkPort, codec: p.codec })),
      },
      'fork started',
    );
    return plan.parties;
  }

  /**
   * Ends the fork. A session or fork that no longer exists is fine (the session's end already ended it); a
   * fork id that is a party's tag is refused, since rtpengine would silence that party's call.
   */
  async stop(sessionId: string, forkId: string): Promise<void> {
    if (!sessionId) throw new ValidationError('session_id is required');
    if (!forkId) throw new ValidationError('fork_id is required', { sessionId });
    let session: Record<string, unknown>;
    try {
      session = await this.deps.relay.querySession(sessionId);
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
    const role = tagRoleOf(session, forkId);
    if (role === 'absent') return;
    if (role === 'party')
      throw new ValidationError(`fork_id ${forkId} is a party of session ${sessionId}, not a fork`, {
        sessionId,
      });
    try {
      await this.deps.relay.unsubscribe(sessionId, forkId);
    } catch (error) {
      if (error instanceof NotFoundError) return;
      throw error;
    }
    this.deps.log.info({ sessionId, forkId }, 'fork stopped');
  }

  /**
   * SIPREC's fork, first half: rtpengine's sendonly offer with one m-line per party in the order of fromTags,
   * labelled with the request's labels. The fork exists (requested, not answered: no RTP yet) until
   * answerRecording completes it or stop ends it; asking again with the same fork id replaces it.
   */
  async offerRecording(request: RecordingForkRequest & { callId?: string }): Promise<string> {
    const labels = checkRecordingForkRequest(request);
    const { sessionId, forkId } = request;
    const offered = await this.subscribed({
      sessionId,
      forkId,
      fromTags: request.fromTags,
      transcode: [],
      siprec: true,
    });
    try {
      const sdp = labelledRecordingOffer(offered.sdp, request, labels, offered.fromTags);
      this.deps.log.info(
        { sessionId, callId: request.callId, forkId, parties: request.fromTags, labels },
        'recording fork offered',
      );
      return sdp;
    } catch (error) {
      await this.deps.relay.unsubscribe(sessionId, forkId).catch(() => undefined);
      throw error;
    }
  }

  /**
   * SIPREC's fork, second half: the SRS's answer (where each m-line's copy goes). NotFoundError when the fork
   * is unknown; ValidationError for an answer without audio or one rtpengine refuses.
   */
  async answerRecording(request: {
    sessionId: string;
    forkId: string;
    sdp: string;
    callId?: string;
  }): Promise<void> {
    const { sessionId, forkId } = request;
    if (!sessionId) throw new ValidationError('session_id is required');
    if (!forkId) throw new ValidationError('fork_id is required', { sessionId });
    checkRecordingForkAnswer(request.sdp);
    const role = tagRoleOf(await this.sessionView(sessionId), forkId);
    if (role !== 'fork') throw new NotFoundError(`no fork ${forkId} in session ${sessionId}`, { sessionId });
    await this.deps.relay.answerSubscription(sessionId, forkId, request.sdp);
    this.deps.log.info({ sessionId, callId: request.callId, forkId }, 'recording fork answered');
  }

  /**
   * The subscribe request, after the checks and with every party in it. Checked before anything changes:
   * rtpengine would fork the known tags and skip the others silently, and a fork id that is a party's tag
   * would make that party a subscriber (its call would break). A party gone between the query and the
   * request is NotFound, its half-made fork unsubscribed: what rtpengine set up without it is not what was
   * asked.
   */
  private async subscribed(params: SubscribeParams): Promise<{ sdp: string; fromTags: string[] }> {
    const { sessionId, forkId, fromTags } = params;
    await this.checkParties(sessionId, fromTags, forkId);
    const offered = await this.deps.relay.subscribe(params);
    const missing = fromTags.find((tag) => !offered.fromTags.includes(tag));
    if (missing !== undefined) {
      await this.deps.relay.unsubscribe(sessionId, forkId).catch(() => undefined);
      throw new NotFoundError(`no party ${missing} in session ${sessionId}`, { sessionId, tag: missing });
    }
    return offered;
  }

  private async checkParties(sessionId: string, fromTags: readonly string[], forkId: string): Promise<void> {
    const session = await this.sessionView(sessionId);
    for (const tag of fromTags) {
      const role = tagRoleOf(session, tag);
      if (role === 'absent')
        throw new NotFoundError(`no party ${tag} in session ${sessionId}`, { sessionId, tag });
      if (role === 'fork')
        throw new ValidationError(`${tag} is a fork in session ${sessionId}, not a party`, {
          sessionId,
          tag,
        });
    }
    if (tagRoleOf(session, forkId) === 'party')
      throw new ValidationError(`fork_id ${forkId} is a party of session ${sessionId}`, { sessionId });
  }

  /** The session as rtpengine reports it; NotFoundError naming the session when rtpengine has none. */
  private async sessionView(sessionId: string): Promise<Record<string, unknown>> {
    try {
      return await this.deps.relay.querySession(sessionId);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new NotFoundError(`no session ${sessionId}`, { sessionId }, { cause: error });
      throw error;
    }
  }
}
