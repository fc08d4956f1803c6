// The platform's own answer to an inbound caller's offer (the one-sided rtpengine session that play, digits
// and echo need), prepared as soon as the INVITE arrives, while the application decides. AnswerLeg then
// sends its 200 OK without a media-worker and two rtpengine round trips in between, which were about a third
// of the platform's post-dial delay. A caller that is bridged instead (its offer goes to a dialled party)
// or that ends first has the prepared branch removed again.
import type { LegContext } from './leg-context.js';
import { hasEnded, type InboundLeg } from './leg-registry.js';

export function prepareLocalAnswer(ctx: LegContext, leg: InboundLeg): void {
  ctx.registry.markMedia(leg.callId);
  leg.localAnswer = ctx.media.answerLocally(leg.callId, leg.legId, leg.offerSdp).then(
    (sdp) => {
      // Ended while rtpengine answered: the leg's end may have deleted the session before it existed.
      if (hasEnded(leg)) void removeBranch(ctx, leg);
      return sdp;
    },
    (error: unknown) => {
      leg.log.warn({ err: error }, 'media not prepared with the INVITE; the answer makes it');
      return undefined;
    },
  );
}

/** The prepared answer's SDP, taken once; undefined when none was prepared or preparing it failed. */
export async function takeLocalAnswer(leg: InboundLeg): Promise<string | undefined> {
  const prepared = leg.localAnswer;
  leg.localAnswer = undefined;
  return prepared ? await prepared : undefined;
}

/** Removes the prepared branch if there is one: before the caller's offer goes to a dialled party. */
export async function releaseLocalAnswer(ctx: LegContext, leg: InboundLeg): Promise<void> {
  if ((await takeLocalAnswer(leg)) !== undefined) await removeBranch(ctx, leg);
}

function removeBranch(ctx: LegContext, leg: InboundLeg): Promise<void> {
  return ctx.media
    .deleteParty(leg.callId, leg.legId)
    .catch((error: unknown) => leg.log.debug({ err: error }, 'prepared media branch not deleted'));
}
