// The SDP the platform sends an answered leg, whoever made it (rtpengine, or the dialog's own for a hold):
// an answer's direction fits the phone's offer; while the platform holds the leg it keeps the hold's
// direction, so an offer passed across a bridge (the peer's session refresh) or an answer to the phone's own
// re-INVITE cannot resume it; and its o= version follows what the dialog was sent last (RFC 3264 §8), since
// rtpengine's versions know nothing of a hold.
import {
  answerDirection,
  directionOf,
  narrowed,
  nextLocalSdp,
  withDirection,
} from '../domain/sdp-direction.js';
import type { AnsweredLeg } from './platform-reinvite.js';

/**
 * `sdp` made ready to send on the leg's dialog: an offer, or the answer to the phone's `offer` when given.
 * An answer says no more than the offer allows (RFC 3264 §6.1: recvonly to sendonly, inactive to inactive),
 * which the platform's own answers (the media-worker's) do not see to; a held leg's SDP keeps the hold.
 */
export function sdpForLeg(p: AnsweredLeg, sdp: string, offer?: string): string {
  const hold = p.leg.platformHold;
  const made = directionOf(sdp);
  const wanted = hold ? narrowed(hold.direction, made) : made;
  const direction = offer === undefined ? wanted : answerDirection(directionOf(offer), wanted);
  const ready = direction === made ? sdp : withDirection(sdp, direction);
  return nextLocalSdp(p.dialog.local.sdp ?? '', ready);
}

/**
 * The answer to a peer's offer that was passed to a held leg: it says what the held leg answered (recvonly
 * or inactive), within what the peer's offer allows.
 */
export function answerFromHeldLeg(peerOffer: string, heldLegAnswer: string, answer: string): string {
  return withDirection(answer, answerDirection(directionOf(peerOffer), directionOf(heldLegAnswer)));
}
