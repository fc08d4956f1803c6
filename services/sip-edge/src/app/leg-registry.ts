import type { Logger } from '@callctl/logging';
import type { MediaProfile } from '../domain/media-profile.js';
import { LegNotFoundError } from '../domain/errors.js';
import type { CancelReason } from '../domain/end-cause.js';
import type { MediaParty } from '../domain/media-plan.js';
import type { Direction } from '../domain/sdp-direction.js';
import type { ReceivedRefer } from './refer-received.js';
import type { SentRefer } from './refer-leg.js';
import type { SentRequest, SipDialog, SipRequest, SipResponder } from './sip-stack.js';

/**
 * SIP state of a leg as sip-edge holds it. Inbound: offered → (ringing) → answering → answered → ended.
 * Outbound: calling → (ringing) → answering → answered → ended. `answering` covers the media-worker and
 * engine round trips of an answer, so a second answer or a hangup in between is handled, not raced. The
 * dialog belongs to the answered state: a leg has one exactly while it is answered.
 */
export type LegStatus =
  | { readonly state: 'offered' | 'calling' | 'ringing' | 'answering' | 'ended' }
  | { readonly state: 'answered'; readonly dialog: SipDialog };

export type LegState = LegStatus['state'];

interface LegCommon {
  /** Changes only when the leg moves to another call (move-leg.ts). */
  callId: string;
  /**
   * How the leg's media is carried (plain, SDES-SRTP, WebRTC): every SDP sent to the leg's far end is
   * rewritten into it. Inbound legs know it from the INVITE; outbound legs once their way out is known
   * (absent before: rtpengine then keeps whatever transport the SDP had).
   */
  mediaProfile?: MediaProfile;
  readonly legId: string;
  sipCallId: string;
  status: LegStatus;
  log: Logger;
  /** The leg this one's media is joined with, or is being joined with. */
  bridge?: LegBridge;
  /** The SendDtmfInfo in progress (settled, never rejected): the next one waits for it. */
  sendingDtmf?: Promise<void>;
  /** The SetLegDirection in progress (settled, never rejected): the next one waits for it. */
  changingDirection?: Promise<void>;
  /**
   * The platform's re-INVITEs of the leg not complete yet (answered, and ACKed when the far end offered):
   * a re-INVITE from the phone meanwhile gets 491 (platform-reinvite.ts).
   */
  reInvitesPending?: number;
  /** The direction the platform holds the leg with (absent: not held, sendrecv); see PlatformHold. */
  platformHold?: PlatformHold;
  /** The phone's last offer held the platform (sendonly or inactive): LegHoldChanged is sent on a change. */
  phoneHolds?: boolean;
  /**
   * REFERs sip-edge sent on the leg (ReferLeg) whose result is not known yet, oldest first; `sendingRefer`
   * is the one in flight (settled, never rejected): the next REFER waits for its response, so a NOTIFY
   * that overtakes a 202 can only belong to that one.
   */
  sentRefers?: SentRefer[];
  sendingRefer?: Promise<void>;
  /** REFERs the leg's phone sent and sip-edge accepted, by refer id (their CSeq number). */
  receivedRefers?: Map<string, ReceivedRefer>;
  /** Hangup asked while an answer or the INVITE was in flight: done as soon as it completes. */
  hangupRequested?: { sipStatus: number; reason: string };
  /**
   * The trace of the work that created the leg (an inbound call's own new trace, the PlaceCall's): what
   * happens to the leg on the SIP side later is reported under it.
   */
  readonly traceparent?: string;
}

/**
 * A bridge as a leg sees it: one concept for the two ways sip-edge joins legs' media. A dial-through
 * (PlaceCall with bridge_with_leg_id) marks the dialled leg `dialling` until it answers; BridgeLegs marks
 * both legs `joining` while it re-INVITEs them, so a second one is refused rather than interleaved. Both
 * end `joined` on both legs: re-INVITEs from either far end are passed across. UnbridgeLegs marks both
 * `parting` while it re-INVITEs them apart, and clears the bridge when done. Where the media is lives in
 * the media plan.
 */
export type LegBridge =
  | { readonly status: 'dialling'; readonly peerLegId: string }
  | { readonly status: 'joining'; readonly peerLegId: string }
  | { readonly status: 'joined'; readonly peerLegId: string }
  | { readonly status: 'parting'; readonly peerLegId: string };

/**
 * The platform holds the leg (SetLegDirection, UnbridgeLegs with hold_a): its SDP to the phone says
 * `direction`, also in offers passed to it from its bridge peer and in answers to the phone's own
 * re-INVITEs, so a session refresh cannot resume it. `answered`: the phone's side of the stream as it
 * answered (recvonly or inactive).
 */
export interface PlatformHold {
  readonly direction: 'sendonly' | 'inactive';
  readonly answered: Direction;
}

export interface InboundLeg extends LegCommon {
  readonly direction: 'inbound';
  readonly request: SipRequest;
  readonly responder: SipResponder;
  readonly offerSdp: string;
  answerTimer?: NodeJS.Timeout;
  /**
   * AnswerLeg asked for in-band (tone) DTMF detection: the media-worker turns it on with the answer, and
   * again whenever a re-INVITE is answered. rtpengine 10.5 keeps the detector through a re-offer (the e2e
   * test passes without this); asking again costs one ng command and does not depend on that.
   */
  detectInbandDtmf?: boolean;
  /** The platform's answer to the offer, prepared when the INVITE arrived (local-answer.ts). */
  localAnswer?: { readonly party: MediaParty; readonly sdp: Promise<string | undefined> };
}

export interface OutboundLeg extends LegCommon {
  readonly direction: 'outbound';
  sent?: SentRequest;
  cancelReason?: CancelReason;
  ringTimer?: NodeJS.Timeout;
  /** Resolves once the engine sent the INVITE (a retried PlaceCall gets the same reply). */
  sending?: Promise<{ sipCallId: string; media: MediaParty }>;
  /** Statuses of the provisionals already reported, so retransmissions are reported once. */
  readonly progressSeen: Set<number>;
  /** Provisionals being passed on to the bridged caller; the answer waits for them. */
  earlyRelay?: Promise<void>;
}

export type Leg = InboundLeg | OutboundLeg;

/** Ended legs remembered so a late HangupLeg for them succeeds (bounded: oldest forgotten first). */
export const ENDED_LEGS_REMEMBERED = 10_000;

/** The legs sip-edge holds, by leg id. */
export class LegRegistry {
  private readonly legs = new Map<string, Leg>();
  private readonly ended = new Map<string, string>();

  add(leg: Leg): void {
    this.legs.set(leg.legId, leg);
  }

  find(legId: string): Leg | undefined {
    return this.legs.get(legId);
  }

  /** The live leg, or LegNotFoundError; `undefined` when it existed and has ended. */
  lookup(callId: string, legId: string): Leg | undefined {
    const leg = this.legs.get(legId);
    if (leg && leg.callId === callId) return leg;
    if (this.ended.get(legId) === callId) return undefined;
    throw new LegNotFoundError(`no leg ${legId} in call ${callId}`, { callId, legId });
  }

  /** Like lookup, but an ended leg is not found either. */
  live(callId: string, legId: string): Leg {
    const leg = this.lookup(callId, legId);
    if (!leg) throw new LegNotFoundError(`leg ${legId} of call ${callId} has ended`, { callId, legId });
    return leg;
  }

  /** Forgets the leg (it ended): later lookups find it ended. */
  remove(leg: Leg): void {
    this.legs.delete(leg.legId);
    this.ended.set(leg.legId, leg.callId);
    if (this.ended.size > ENDED_LEGS_REMEMBERED) this.ended.delete(this.ended.keys().next().value!);
  }

  all(): Leg[] {
    return [...this.legs.values()];
  }
}

/**
 * True once the leg has ended. A function rather than an inline comparison: the state changes under an
 * await (a CANCEL or BYE arrives meanwhile), which TypeScript's narrowing cannot see.
 */
export function hasEnded(leg: Leg): boolean {
  return leg.status.state === 'ended';
}

/** The leg's dialog while it is answered. */
export function dialogOf(leg: Leg): SipDialog | undefined {
  return leg.status.state === 'answered' ? leg.status.dialog : undefined;
}

/** The live leg this one's media is joined with, if any. */
export function joinedPeer(registry: LegRegistry, leg: Leg): Leg | undefined {
  if (leg.bridge?.status !== 'joined') return undefined;
  const peer = registry.find(leg.bridge.peerLegId);
  return peer && !hasEnded(peer) ? peer : undefined;
}

/** The ids of a leg for an error's context (never the leg itself: it holds srf objects and SDP). */
export function idsOf(leg: Leg): { callId: string; legId: string } {
  return { callId: leg.callId, legId: leg.legId };
}
