// BridgeLegs: joins the media of two legs that were each answered on their own, by third-party call control
// (RFC 3725, flow I): the platform holds both dialogs and re-negotiates each so that their media meets in one
// rtpengine session.
//
//   A: re-INVITE (no SDP) → 200 (A's offer) ──► rtpengine offer  (bridge session, from A)
//   B: re-INVITE (rtpengine's offer)  → 200 (B's answer) ──► rtpengine answer (from A, to B)
//   A: ACK (rtpengine's answer); then the media plan moves both parties and their old sessions (or the legs'
//      branches of them) are deleted.
//
// The bridge gets a new rtpengine session rather than re-pairing the tags in the call's session: an offer
// that names B's tag there re-wires rtpengine at once (seen with 10.5), before B has accepted anything,
// whereas a new session leaves the old ones untouched until the end. So every failure before A's ACK is
// undone by sending A its previous SDP (an unchanged answer, RFC 3264 §8) and deleting the new session; B
// refused (RFC 3261 §14.1: a failed re-INVITE leaves the session as it was) or never got a re-INVITE.
import { IllegalStateError } from '../domain/errors.js';
import { legsBridged } from '../domain/sip-facts.js';
import { factIds, report, type LegContext } from './leg-context.js';
import { journalOf } from './leg-journal.js';
import { partyOf, releaseMedia } from './leg-media.js';
import { hasEnded, idsOf, joinedPeer, type Leg } from './leg-registry.js';
import { sdpForLeg } from './leg-sdp.js';
import { acknowledge, answeredPair, reInvite, requestOffer, type AnsweredLeg } from './platform-reinvite.js';

const joinedWith = (leg: Leg, peer: Leg) =>
  leg.bridge?.status === 'joined' && leg.bridge.peerLegId === peer.legId;

/** The bridge as the orchestrator decided it, reported back on the LegsBridged fact. */
export interface BridgeIds {
  bridgeId: string;
  idempotencyKey: string;
}

/** Joins the legs; resolves with the rtpengine session both legs' media is in now. */
export async function bridgeLegs(
  ctx: LegContext,
  callId: string,
  legAId: string,
  legBId: string,
  ids: BridgeIds,
): Promise<string> {
  const [answeredA, answeredB] = answeredPair(ctx, { callId, legAId, legBId }, 'bridge');
  const [a, b] = [answeredA.leg, answeredB.leg];
  // A retry: the legs are joined already; they are reported again (recording that twice is a no-op).
  if (joinedWith(a, b) && joinedWith(b, a)) return reportBridged(ctx, a, b, ids);
  for (const leg of [a, b]) {
    const partner = joinedPeer(ctx.registry, leg);
    if (partner)
      throw new IllegalStateError(
        `leg ${leg.legId} is already bridged with leg ${partner.legId}`,
        idsOf(leg),
      );
  }
  const before = { a: a.bridge, b: b.bridge };
  a.bridge = { status: 'joining', peerLegId: b.legId };
  b.bridge = { status: 'joining', peerLegId: a.legId };
  try {
    await joinMedia(ctx, answeredA, answeredB);
  } catch (error) {
    a.bridge = before.a;
    b.bridge = before.b;
    throw error;
  }
  a.bridge = { status: 'joined', peerLegId: b.legId };
  b.bridge = { status: 'joined', peerLegId: a.legId };
  return reportBridged(ctx, a, b, ids);
}

/**
 * The legs are joined: a fact says so, so the bridge reaches the log even if the orchestrator never gets
 * this reply (a crash between the action and its append). Again on a retry: recording it twice is a no-op.
 */
function reportBridged(ctx: LegContext, a: Leg, b: Leg, ids: BridgeIds): string {
  const mediaSessionId = partyOf(ctx, a).sessionId;
  report(ctx, a, legsBridged(factIds(ctx, a), b.legId, { ...ids, mediaSessionId }));
  return mediaSessionId;
}

async function joinMedia(ctx: LegContext, a: AnsweredLeg, b: AnsweredLeg): Promise<void> {
  const callId = a.leg.callId;
  const media = ctx.plan.bridge(callId, a.leg.legId, b.leg.legId, ctx.newId());
  const before = { a: a.dialog.local.sdp, b: b.dialog.local.sdp };
  const offerOfA = await requestOffer(a);
  let answerForA: string;
  try {
    const offerForB = sdpForLeg(b, await ctx.media.offer(callId, media.a, offerOfA.sdp, b.leg.mediaProfile));
    const answerOfB = await reInvite(b, offerForB, before.b);
    const answered = await ctx.media
      .answer(callId, media.a, media.b, answerOfB, a.leg.mediaProfile)
      .catch(async (error) => {
        // B already moved to the new session: move it back before giving up.
        await reInvite(b, before.b, before.b).catch((undo: unknown) =>
          b.leg.log.error({ err: undo }, 'leg left on a failed bridge: re-INVITE back not accepted'),
        );
        throw error;
      });
    answerForA = sdpForLeg(a, answered, offerOfA.sdp);
    if (hasEnded(a.leg) || hasEnded(b.leg))
      throw new IllegalStateError(
        `leg ${hasEnded(a.leg) ? a.leg.legId : b.leg.legId} ended while being bridged`,
        idsOf(a.leg),
      );
  } catch (error) {
    acknowledge(a, offerOfA, before.a);
    a.dialog.local.sdp = before.a;
    await releaseMedia(ctx, a.leg.log, ctx.plan.abandoned(media));
    throw error;
  }
  acknowledge(a, offerOfA, answerForA);
  a.dialog.local.sdp = answerForA;
  const left = ctx.plan.joined(media);
  // A restarted sip-edge deletes the sessions its journal names: the legs' media is in the bridge's now.
  for (const { leg } of [a, b]) ctx.journal.record(journalOf(ctx.plan, leg));
  a.leg.log.info({ peer: b.leg.legId, sessionId: media.sessionId }, 'legs bridged by re-INVITE');
  await releaseMedia(ctx, a.leg.log, left);
}
