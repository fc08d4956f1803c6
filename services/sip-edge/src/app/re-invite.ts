import type { LegContext } from './leg-context.js';
import { partyOf } from './leg-media.js';
import { dialogOf, joinedPeer, type Leg } from './leg-registry.js';
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
 * sending to the old address.
 */
export async function answerReInvite(
  ctx: LegContext,
  leg: Leg,
  dialog: SipDialog,
  request: SipRequest,
  responder: SipResponder,
): Promise<void> {
  if (!request.body) {
    // An offerless re-INVITE asks for our offer: the current SDP is one.
    await send(responder, 200, dialog.local.sdp).catch(() => undefined);
    return;
  }
  let answer: string;
  try {
    answer = await renegotiate(ctx, leg, request.body);
  } catch (error) {
    leg.log.warn({ err: error }, 're-INVITE refused');
    await send(responder, 488).catch(() => undefined);
    return;
  }
  await send(responder, 200, answer).catch((error: unknown) =>
    leg.log.warn({ err: error }, '200 to the re-INVITE not sent'),
  );
  dialog.local.sdp = answer;
  leg.log.info('re-INVITE answered through rtpengine');
}

async function renegotiate(ctx: LegContext, leg: Leg, offer: string): Promise<string> {
  const party = partyOf(ctx, leg);
  const partner = joinedPeer(ctx.registry, leg);
  const partnerDialog = partner && dialogOf(partner);
  if (!partner || !partnerDialog)
    return ctx.media.answerLocally(leg.callId, party, offer, {
      detectDtmf: leg.direction === 'inbound' && leg.detectInbandDtmf === true,
    });
  const towardsPartner = await ctx.media.offer(leg.callId, party, offer);
  const partnerAnswer = await partnerDialog.modify(towardsPartner);
  return ctx.media.answer(leg.callId, party, partyOf(ctx, partner), partnerAnswer);
}
