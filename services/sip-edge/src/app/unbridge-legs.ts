// UnbridgeLegs: takes two legs bridged with each other apart, so each hears the platform alone (a
// consultation: the transferee on hold with music, the transferor talking to someone else). Each leg is
// re-INVITEd without SDP (RFC 3725) and its offer answered by a one-sided rtpengine session of its own, as
// an inbound caller's is (AnswerLocally), in the ACK:
//
//   A: re-INVITE (no SDP) → 200 (A's offer) ──► AnswerLocally (A's own session) ──► ACK (the answer;
//      a=sendonly when hold_a: A stops sending at once, without a second re-INVITE)
//   B: the same, in B's own session
//   then the media plan moves both, and the bridge's session (nobody left in it) is deleted.
//
// A failure before A's ACK sends A its previous SDP (unchanged: RFC 3264 §8); a failure of B after A moved
// sends A its previous SDP by re-INVITE (the bridge session still holds A's branch), so on any failure both
// legs stay bridged as they were.
import { IllegalStateError } from '../domain/errors.js';
import type { MediaParty } from '../domain/media-plan.js';
import { answerDirection, directionOf, mirrored, withDirection } from '../domain/sdp-direction.js';
import { legsUnbridged } from '../domain/sip-facts.js';
import { factIds, report, type LegContext } from './leg-context.js';
import { journalOf } from './leg-journal.js';
import { partyOf, releaseMedia } from './leg-media.js';
import { sdpForLeg } from './leg-sdp.js';
import { hasEnded, idsOf } from './leg-registry.js';
import { acknowledge, answeredPair, reInvite, requestOffer, type AnsweredLeg } from './platform-reinvite.js';

/** Where each leg's media is once apart (the reply and the LegsUnbridged fact). */
export interface UnbridgedMedia {
  a: MediaParty;
  b: MediaParty;
}

/** Takes the legs apart; `holdA`: leg A is answered sendonly (about to be held). */
export async function unbridgeLegs(
  ctx: LegContext,
  callId: string,
  legAId: string,
  legBId: string,
  holdA: boolean,
): Promise<UnbridgedMedia> {
  const [a, b] = answeredPair(ctx, { callId, legAId, legBId }, 'unbridge');
  const bridgedTogether =
    a.leg.bridge?.status === 'joined' &&
    a.leg.bridge.peerLegId === legBId &&
    b.leg.bridge?.status === 'joined' &&
    b.leg.bridge.peerLegId === legAId;
  if (!bridgedTogether) {
    for (const { leg } of [a, b])
      if (leg.bridge)
        throw new IllegalStateError(
          `leg ${leg.legId} is bridged with leg ${leg.bridge.peerLegId}, not with leg ${leg === a.leg ? legBId : legAId}`,
          idsOf(leg),
        );
    // A retry: they are apart already; their media is where it is.
    return { a: partyOf(ctx, a.leg), b: partyOf(ctx, b.leg) };
  }
  a.leg.bridge = { status: 'parting', peerLegId: legBId };
  b.leg.bridge = { status: 'parting', peerLegId: legAId };
  let media: UnbridgedMedia;
  try {
    media = await partMedia(ctx, a, b, holdA);
  } catch (error) {
    if (!hasEnded(a.leg)) a.leg.bridge = { status: 'joined', peerLegId: legBId };
    if (!hasEnded(b.leg)) b.leg.bridge = { status: 'joined', peerLegId: legAId };
    throw error;
  }
  a.leg.bridge = undefined;
  b.leg.bridge = undefined;
  report(ctx, a.leg, legsUnbridged(factIds(ctx, a.leg), legBId, media));
  return media;
}

async function partMedia(
  ctx: LegContext,
  a: AnsweredLeg,
  b: AnsweredLeg,
  holdA: boolean,
): Promise<UnbridgedMedia> {
  const callId = a.leg.callId;
  const media = {
    a: ctx.plan.alone(callId, a.leg.legId, ctx.newId()),
    b: ctx.plan.alone(callId, b.leg.legId, ctx.newId()),
  };
  const before = { a: a.dialog.local.sdp, holdOfA: a.leg.platformHold };
  try {
    await answerAlone(ctx, a, media.a, holdA);
  } catch (error) {
    await releaseMedia(ctx, a.leg.log, ctx.plan.abandoned(media.a));
    throw error;
  }
  try {
    await answerAlone(ctx, b, media.b, false);
    if (hasEnded(a.leg) || hasEnded(b.leg))
      throw new IllegalStateError(
        `leg ${hasEnded(a.leg) ? a.leg.legId : b.leg.legId} ended while being unbridged`,
        idsOf(a.leg),
      );
  } catch (error) {
    if (!hasEnded(a.leg)) {
      // A is in its own session already: back to the bridge's, which still holds A's branch.
      a.leg.platformHold = before.holdOfA;
      await reInvite(a, sdpForLeg(a, before.a), a.dialog.local.sdp).catch((undo: unknown) =>
        a.leg.log.error({ err: undo }, 'leg left apart on a failed unbridge: re-INVITE back not accepted'),
      );
    }
    await releaseMedia(ctx, a.leg.log, [...ctx.plan.abandoned(media.a), ...ctx.plan.abandoned(media.b)]);
    throw error;
  }
  const left = ctx.plan.moved([media.a, media.b]);
  // A restarted sip-edge deletes the sessions its journal names: each leg's media is in its own now.
  for (const { leg } of [a, b]) ctx.journal.record(journalOf(ctx.plan, leg));
  a.leg.log.info({ peer: b.leg.legId, holdA }, 'legs unbridged by re-INVITE');
  await releaseMedia(ctx, a.leg.log, left);
  return media;
}

/**
 * One leg re-INVITEd without SDP and its offer answered by the platform in `party` (a new session); with
 * `hold` the answer says sendonly (within what the offer allows), and the leg counts as held by the
 * platform from then on.
 */
async function answerAlone(ctx: LegContext, p: AnsweredLeg, party: MediaParty, hold: boolean): Promise<void> {
  const { leg } = p;
  const offer = await requestOffer(p);
  const previous = p.dialog.local.sdp;
  let answer: string;
  try {
    const local = await ctx.media.answerLocally(leg.callId, party, offer.sdp, {
      detectDtmf: leg.direction === 'inbound' && leg.detectInbandDtmf === true,
      profile: leg.mediaProfile,
    });
    const direction = answerDirection(directionOf(offer.sdp), hold ? 'sendonly' : 'sendrecv');
    answer = sdpForLeg(p, withDirection(local, direction), offer.sdp);
  } catch (error) {
    acknowledge(p, offer, previous);
    throw error;
  }
  acknowledge(p, offer, answer);
  p.dialog.local.sdp = answer;
  if (hold && !leg.platformHold)
    leg.platformHold = { direction: 'sendonly', answered: mirrored(directionOf(answer)) };
}
