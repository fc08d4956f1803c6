// The platform's own answer to an inbound caller's offer (the one-sided rtpengine session that play, digits
// and echo need), prepared as soon as the INVITE arrives, while the application decides. AnswerLeg then
// sends its 200 OK without a media-worker and two rtpengine round trips in between, which were about a third
// of the platform's post-dial delay. A caller that is bridged instead (its offer goes to a dialled party)
// or that ends first has the prepared branch removed again.
import { ValidationError } from '../domain/errors.js';
import type { MediaParty } from '../domain/media-plan.js';
import type { LegContext } from './leg-context.js';
import { hasEnded, type InboundLeg } from './leg-registry.js';

/**
 * Asks for the platform's answer to the caller's offer, for the party the media plan gave the caller.
 * `onRefused` hears when rtpengine refuses the offer itself (a ValidationError, with its reason): no answer
 * will ever come, so the caller should not be kept waiting. Other failures (media-worker down) leave the
 * answer to AnswerLeg, which tries again.
 */
export function prepareLocalAnswer(
  ctx: LegContext,
  leg: InboundLeg,
  party: MediaParty,
  onRefused: (reason: string) => Promise<void>,
): void {
  ctx.plan.used(leg.legId);
  const sdp = ctx.media.answerLocally(leg.callId, party, leg.offerSdp, { profile: leg.mediaProfile }).then(
    (answer) => {
      // Ended while rtpengine answered: the leg's end may have deleted the session before it existed.
      if (hasEnded(leg)) void removeBranch(ctx, leg, party);
      return answer;
    },
    (error: unknown) => {
      if (error instanceof ValidationError) {
        void onRefused(error.message);
        return undefined;
      }
      leg.log.warn({ err: error }, 'media not prepared with the INVITE; the answer makes it');
      return undefined;
    },
  );
  leg.localAnswer = { party, sdp };
}

/** The prepared answer's SDP, taken once; undefined when none was prepared or preparing it failed. */
export async function takeLocalAnswer(leg: InboundLeg): Promise<string | undefined> {
  const prepared = leg.localAnswer;
  leg.localAnswer = undefined;
  return prepared ? await prepared.sdp : undefined;
}

/** Removes the prepared branch if there is one: before the caller's offer goes to a dialled party. */
export async function releaseLocalAnswer(ctx: LegContext, leg: InboundLeg): Promise<void> {
  const prepared = leg.localAnswer;
  if ((await takeLocalAnswer(leg)) !== undefined) await removeBranch(ctx, leg, prepared!.party);
}

function removeBranch(ctx: LegContext, leg: InboundLeg, party: MediaParty): Promise<void> {
  return ctx.media
    .release(party)
    .catch((error: unknown) => leg.log.debug({ err: error }, 'prepared media branch not deleted'));
}
