// The re-INVITEs the platform sends on an answered leg's dialog (BridgeLegs, UnbridgeLegs, SetLegDirection):
// each far end gets REINVITE_TIMEOUT_MS to answer; a 491 (the phone's own re-INVITE crossed ours: glare) is
// retried once after a random 2.1-4 s (RFC 3261 §14.1: the Call-ID owner's range; we do not own every
// dialog's Call-ID, but waiting longer than the other side keeps both from colliding again); and while one
// is pending, a re-INVITE from the phone is answered 491 (§14.2). The SIP engine answers 491 itself while
// our INVITE has no final response; the leg's mark also covers the time srf queues ours and the time between
// a 200 with an offer and our ACK with the answer.
import { isCallctlError } from '@callctl/errors';
import { IllegalStateError, UnavailableError, ValidationError } from '../domain/errors.js';
import type { LegContext } from './leg-context.js';
import { idsOf, type Leg } from './leg-registry.js';
import { isSipFailure, type OfferlessReInvite, type SipDialog } from './sip-stack.js';

/**
 * How long a far end may take to answer a re-INVITE; three of them fit the orchestrator's 20 s deadline for
 * BridgeLegs.
 */
export const REINVITE_TIMEOUT_MS = 2_000;

/** The wait before the one retry after a 491 (RFC 3261 §14.1), in ms. */
export const GLARE_RETRY_MIN_MS = 2_100;
export const GLARE_RETRY_MAX_MS = 4_000;

/** An answered leg with the dialog it had when the platform's work on it began (kept if the leg ends). */
export interface AnsweredLeg {
  readonly leg: Leg;
  readonly dialog: SipDialog;
}

/**
 * The live leg with its dialog, for a change of its media (`action`: "bridge", "unbridge", ...): refused
 * when it is not answered, or while BridgeLegs or UnbridgeLegs moves its media.
 */
export function answeredLeg(ctx: LegContext, callId: string, legId: string, action: string): AnsweredLeg {
  const leg = ctx.registry.live(callId, legId);
  if (leg.status.state !== 'answered')
    throw new IllegalStateError(
      `cannot ${action} leg ${legId}: it is ${leg.status.state}, not answered`,
      idsOf(leg),
    );
  const moving = mediaMoving(leg);
  if (moving) throw new IllegalStateError(`cannot ${action} leg ${legId}: it is being ${moving}`, idsOf(leg));
  return { leg, dialog: leg.status.dialog };
}

/** The two distinct answered legs of a BridgeLegs or UnbridgeLegs (`action`), checked as answeredLeg. */
export function answeredPair(
  ctx: LegContext,
  ids: { callId: string; legAId: string; legBId: string },
  action: 'bridge' | 'unbridge',
): [AnsweredLeg, AnsweredLeg] {
  const { callId, legAId, legBId } = ids;
  if (!callId || !legAId || !legBId)
    throw new ValidationError('call_id, leg_a_id and leg_b_id are required', { callId });
  if (legAId === legBId) throw new ValidationError(`a leg cannot ${action} with itself`, { callId });
  return [answeredLeg(ctx, callId, legAId, action), answeredLeg(ctx, callId, legBId, action)];
}

/** What BridgeLegs or UnbridgeLegs is doing to the leg's media now, if anything. */
export function mediaMoving(leg: Leg): 'bridged' | 'unbridged' | undefined {
  if (leg.bridge?.status === 'joining') return 'bridged';
  if (leg.bridge?.status === 'parting') return 'unbridged';
  return undefined;
}

/** A platform re-INVITE of the leg is pending: the phone's own re-INVITE must get 491 now. */
export function reInvitePending(leg: Leg): boolean {
  return (leg.reInvitesPending ?? 0) > 0;
}

function markPending(leg: Leg): () => void {
  leg.reInvitesPending = (leg.reInvitesPending ?? 0) + 1;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    leg.reInvitesPending = Math.max(0, (leg.reInvitesPending ?? 1) - 1);
  };
}

const isGlare = (error: unknown) => isSipFailure(error) && error.status === 491;

function glareDelayMs(): number {
  return GLARE_RETRY_MIN_MS + Math.random() * (GLARE_RETRY_MAX_MS - GLARE_RETRY_MIN_MS);
}

/**
 * `attempt`, and once more after the glare wait when it failed with 491. The leg stays marked pending through
 * the wait, so a phone's re-INVITE then gets 491 again: ours was computed from the dialog as it was, and an
 * offer the phone made meanwhile would make it stale. We retry once only, so the phone's next try gets in.
 */
async function retryingGlareOnce<T>(p: AnsweredLeg, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!isGlare(error) || hasEndedLeg(p)) throw error;
    const waitMs = Math.round(glareDelayMs());
    p.leg.log.info({ waitMs }, 're-INVITE met glare (491); retrying once');
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    if (hasEndedLeg(p)) throw error;
    return attempt();
  }
}

const hasEndedLeg = (p: AnsweredLeg) => p.leg.status.state === 'ended';

/** The ACK of an offerless re-INVITE; a dialog that ended meanwhile (a BYE crossed it) needs none. */
export function acknowledge(p: AnsweredLeg, offer: OfferlessReInvite, answerSdp: string): void {
  try {
    offer.ack(answerSdp);
  } catch (error) {
    p.leg.log.warn({ err: error }, 'ACK of the re-INVITE not sent');
  }
}

/**
 * The leg's new offer, from a re-INVITE without SDP; its ACK (acknowledge) carries the answer. The leg
 * counts as re-INVITEd by the platform until then.
 */
export async function requestOffer(p: AnsweredLeg): Promise<OfferlessReInvite> {
  const previous = p.dialog.local.sdp;
  const done = markPending(p.leg);
  try {
    const offer = await retryingGlareOnce(p, () => {
      const pending = p.dialog.modify({ noAck: true });
      return withinTimeout(p, pending, (late) => acknowledge(p, late, previous));
    });
    // srf cleared it for the offerless re-INVITE; it is what the far end has until the ACK.
    p.dialog.local.sdp = previous;
    if (!offer.sdp) {
      acknowledge(p, offer, previous);
      throw new IllegalStateError(
        `leg ${p.leg.legId} answered the re-INVITE without an SDP offer`,
        idsOf(p.leg),
      );
    }
    return {
      sdp: offer.sdp,
      ack: (answerSdp) => {
        done();
        offer.ack(answerSdp);
      },
    };
  } catch (error) {
    done();
    p.dialog.local.sdp = previous; // srf cleared it for the offerless re-INVITE
    throw reInviteError(p, error);
  }
}

/** A re-INVITE with `offer`; resolves with the far end's answer. `previous` is what the dialog had. */
export async function reInvite(p: AnsweredLeg, offer: string, previous: string): Promise<string> {
  const done = markPending(p.leg);
  try {
    return await retryingGlareOnce(p, () => {
      const pending = p.dialog.modify(offer);
      // A late 200 moved the far end to `offer` after we gave up: move it back.
      return withinTimeout(p, pending, () => void p.dialog.modify(previous).catch(() => undefined));
    });
  } catch (error) {
    p.dialog.local.sdp = previous; // srf set it to the refused offer
    throw reInviteError(p, error);
  } finally {
    done();
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
