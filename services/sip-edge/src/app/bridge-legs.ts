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
import { isCallctlError } from '@callctl/errors';
import { IllegalStateError, UnavailableError, ValidationError } from '../domain/errors.js';
import { legsBridged } from '../domain/sip-facts.js';
import { factIds, report, type LegContext } from './leg-context.js';
import { journalOf } from './leg-journal.js';
import { partyOf, releaseMedia } from './leg-media.js';
import { hasEnded, idsOf, joinedPeer, type Leg } from './leg-registry.js';
import { isSipFailure, type OfferlessReInvite, type SipDialog } from './sip-stack.js';

/**
 * How long a far end may take to answer a re-INVITE; three of them fit the orchestrator's 20 s deadline for
 * BridgeLegs.
 */
export const REINVITE_TIMEOUT_MS = 2_000;

/** A leg to bridge, with the dialog it had when the bridge began (it is needed even if the leg ends). */
interface AnsweredLeg {
  readonly leg: Leg;
  readonly dialog: SipDialog;
}

function answeredLeg(ctx: LegContext, callId: string, legId: string): AnsweredLeg {
  const leg = ctx.registry.live(callId, legId);
  if (leg.status.state !== 'answered')
    throw new IllegalStateError(
      `cannot bridge leg ${legId}: it is ${leg.status.state}, not answered`,
      idsOf(leg),
    );
  if (leg.bridge?.status === 'joining')
    throw new IllegalStateError(`cannot bridge leg ${legId}: it is being bridged already`, idsOf(leg));
  return { leg, dialog: leg.status.dialog };
}

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
  if (!callId || !legAId || !legBId)
    throw new ValidationError('call_id, leg_a_id and leg_b_id are required', { callId });
  if (legAId === legBId) throw new ValidationError('a leg cannot be bridged with itself', { callId });
  const answeredA = answeredLeg(ctx, callId, legAId);
  const answeredB = answeredLeg(ctx, callId, legBId);
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
    const offerForB = await ctx.media.offer(callId, media.a, offerOfA.sdp);
    const answerOfB = await reInvite(b, offerForB, before.b);
    answerForA = await ctx.media.answer(callId, media.a, media.b, answerOfB).catch(async (error) => {
      // B already moved to the new session: move it back before giving up.
      await reInvite(b, before.b, before.b).catch((undo: unknown) =>
        b.leg.log.error({ err: undo }, 'leg left on a failed bridge: re-INVITE back not accepted'),
      );
      throw error;
    });
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

/** The ACK of A's re-INVITE; a dialog that ended meanwhile (a BYE crossed it) has nothing to acknowledge. */
function acknowledge(p: AnsweredLeg, offer: OfferlessReInvite, answerSdp: string): void {
  try {
    offer.ack(answerSdp);
  } catch (error) {
    p.leg.log.warn({ err: error }, 'ACK of the re-INVITE not sent');
  }
}

/** Leg A's new offer, from a re-INVITE without SDP; its ACK waits for the answer. */
async function requestOffer(p: AnsweredLeg): Promise<OfferlessReInvite> {
  const previous = p.dialog.local.sdp;
  try {
    const pending = p.dialog.modify({ noAck: true });
    const offer = await withinTimeout(p, pending, (late) => acknowledge(p, late, previous));
    if (!offer.sdp) {
      acknowledge(p, offer, previous);
      throw new IllegalStateError(
        `leg ${p.leg.legId} answered the re-INVITE without an SDP offer`,
        idsOf(p.leg),
      );
    }
    return offer;
  } catch (error) {
    p.dialog.local.sdp = previous; // srf cleared it for the offerless re-INVITE
    throw reInviteError(p, error);
  }
}

/** A re-INVITE with `offer`; resolves with the far end's answer. `previous` is what the dialog had. */
async function reInvite(p: AnsweredLeg, offer: string, previous: string): Promise<string> {
  try {
    const pending = p.dialog.modify(offer);
    // A late 200 moved the far end to `offer` after we gave up: move it back.
    return await withinTimeout(p, pending, () => void p.dialog.modify(previous).catch(() => undefined));
  } catch (error) {
    p.dialog.local.sdp = previous; // srf set it to the refused offer
    throw reInviteError(p, error);
  }
}

/** A far end that does not answer a re-INVITE is given up on; `late` repairs an answer that comes after. */
function withinTimeout<T>(p: AnsweredLeg, pending: Promise<T>, late: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      // A late refusal needs nothing: the srf adapter gives the dialog's re-INVITE slot back.
      pending.then(late, () => undefined);
      reject(
        new UnavailableError(
          `leg ${p.leg.legId} did not answer the re-INVITE within ${REINVITE_TIMEOUT_MS} ms`,
          idsOf(p.leg),
        ),
      );
    }, REINVITE_TIMEOUT_MS);
  });
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
}

function reInviteError(p: AnsweredLeg, error: unknown): Error {
  if (isCallctlError(error)) return error;
  if (!isSipFailure(error))
    return new UnavailableError(
      `re-INVITE of leg ${p.leg.legId} failed: ${error instanceof Error ? error.message : String(error)}`,
      idsOf(p.leg),
      { cause: error },
    );
  return new IllegalStateError(
    `leg ${p.leg.legId} refused the re-INVITE: ${error.status} ${error.reason}`.trimEnd(),
    idsOf(p.leg),
    { cause: error },
  );
}
