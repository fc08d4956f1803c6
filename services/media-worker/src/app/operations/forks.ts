import type { Logger } from '@callctl/logging';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import {
  checkForkRequest,
  forkPlan,
  forkTranscodeCodecs,
  type ForkedParty,
  type ForkRequest,
} from '../../domain/fork-answer-sdp.js';
import { tagRoleOf } from '../../domain/session-tags.js';
import type { MediaRelay } from '../ports.js';

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
    // Checked before anything changes: rtpengine would fork the known tags and skip the others silently, and
    // a fork id that is a party's tag would make that party a subscriber (its call would break).
    const session = await this.sessionView(sessionId);
    for (const tag of request.fromTags) {
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
    const offered = await this.deps.relay.subscribe({
      sessionId,
      forkId,
      fromTags: request.fromTags,
      transcode: forkTranscodeCodecs(request.wideband),
    });
    let plan: ReturnType<typeof forkPlan>;
    try {
      const missing = request.fromTags.find((tag) => !offered.fromTags.includes(tag));
      // Gone between the query and the request: what rtpengine set up without it is not what was asked.
      if (missing !== undefined)
        throw new NotFoundError(`no party ${missing} in session ${sessionId}`, { sessionId, tag: missing });
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
