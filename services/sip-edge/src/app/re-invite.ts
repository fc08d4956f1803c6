import { directionOf, isHold } from '../domain/sdp-direction.js';
import { legHoldChanged } from '../domain/sip-facts.js';
import { factIds, report, type LegContext } from './leg-context.js';
import { partyOf } from './leg-media.js';
import { answerFromHeldLeg, sdpForLeg } from './leg-sdp.js';
import { dialogOf, joinedPeer, type Leg } from './leg-registry.js';
import { mediaMoving, reInvite, reInvitePending, type AnsweredLeg } from './platform-reinvite.js';
import type { SipDialog, SipRequest, SipResponder } from './sip-stack.js';

function send(responder: SipResponder, status: number, body?: string): Promise<void> {
  return new Promise((resolve, reject) =>
    responder.send(status, undefined, body ? { body } : {}, (error) => (error ? reject(error) : resolve())),
  );
}

/**
 * A re-INVITE from the far end of an answered leg (new address, hold, unhold, session refresh). Its SDP
 * goes through rtpengine like the first one: for a leg the platform answered itself the media-worker
 * answers it again; for a leg bridged by sip-edge the offer is passed on to the other leg by re-INVITE and
 * that leg's answer comes back. Without this, srf would answer with the old SDP and rtpengine would keep
 * sending to the old address. An offer that holds the platform (sendonly, inactive), or that resumes after
 * one, is reported once as LegHoldChanged.
 */
export async function answerReInvite(
  ctx: LegContext,
  leg: Leg,
  dialog: SipDialog,
  request: SipRequest,
  responder: SipResponder,
): Promise<void> {
  // Glare (RFC 3261 §14.2): the platform's own re-INVITE of this dialog is under way, or the leg's media is
  // being moved (BridgeLegs, UnbridgeLegs): the phone tries again later.
  // An offer passed across to a bridge peer that the platform is re-INVITEing would be sent after it,
  // computed before it (a hold): the same answer.
  const moving = mediaMoving(leg) !== undefined;
  const peer = joinedPeer(ctx.registry, leg);
  if (reInvitePending(leg) || moving || (peer && reInvitePending(peer))) {
    leg.log.info('re-INVITE from the far end crossed the platform’s own: 491');
    await send(responder, 491).catch((error: unknown) =>
      leg.log.warn({ err: error }, '491 to the re-INVITE not sent'),
    );
    return;
  }
  if (!request.body) {
    // An offerless re-INVITE asks for our offer: the current SDP is one.
    await send(responder, 200, dialog.local.sdp).catch(() => undefined);
    return;
  }
  const p = { leg, dialog };
  let answer: string;
  try {
    answer = sdpForLeg(p, await renegotiate(ctx, p, request.body), request.body);
  } catch (error) {
    leg.log.warn({ err: error }, 're-INVITE refused');
    await send(responder, 488).catch(() => undefined);
    return;
  }
  try {
    await send(responder, 200, answer);
  } catch (error) {
    leg.log.warn({ err: error }, '200 to the re-INVITE not sent');
    return;
  }
  dialog.local.sdp = answer;
  leg.log.info('re-INVITE answered through rtpengine');
  reportHoldChange(ctx, leg, request.body);
}

/** LegHoldChanged when the phone's offer holds the platform and did not before, or the other way round. */
function reportHoldChange(ctx: LegContext, leg: Leg, offer: string): void {
  const direction = directionOf(offer);
  const held = isHold(direction);
  if (held === (leg.phoneHolds ?? false) || leg.status.state === 'ended') return;
  leg.phoneHolds = held;
  leg.log.info({ held, direction }, held ? 'the phone holds the call' : 'the phone resumed the call');
  report(ctx, leg, legHoldChanged(factIds(ctx, leg), held, direction));
}

async function renegotiate(ctx: LegContext, p: AnsweredLeg, offer: string): Promise<string> {
  const { leg } = p;
  const party = partyOf(ctx, leg);
  const partner = joinedPeer(ctx.registry, leg);
  const partnerDialog = partner && dialogOf(partner);
  if (!partner || !partnerDialog)
    return ctx.media.answerLocally(leg.callId, party, offer, {
      detectDtmf: leg.direction === 'inbound' && leg.detectInbandDtmf === true,
      profile: leg.mediaProfile,
    });
  const other = { leg: partner, dialog: partnerDialog };
  const towardsPartner = sdpForLeg(
    other,
    await ctx.media.offer(leg.callId, party, offer, partner.mediaProfile),
  );
  const partnerAnswer = await reInvite(other, towardsPartner, partnerDialog.local.sdp);
  const answer = await ctx.media.answer(
    leg.callId,
    party,
    partyOf(ctx, partner),
    partnerAnswer,
    leg.mediaProfile,
  );
  return partner.platformHold ? answerFromHeldLeg(offer, partnerAnswer, answer) : answer;
}
