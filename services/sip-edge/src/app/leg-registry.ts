import type { Logger } from '@callctl/logging';
import { LegNotFoundError } from '../domain/errors.js';
import type { CancelReason } from '../domain/end-cause.js';
import type { SentRequest, SipDialog, SipRequest, SipResponder } from './sip-stack.js';

/**
 * SIP state of a leg as sip-edge holds it. Inbound: offered → (ringing) → answering → answered → ended.
 * Outbound: calling → (ringing) → answering → answered → ended. `answering` covers the media-worker and
 * engine round trips of an answer, so a second answer or a hangup in between is handled, not raced.
 */
export type LegState = 'offered' | 'calling' | 'ringing' | 'answering' | 'answered' | 'ended';

interface LegCommon {
  readonly callId: string;
  readonly legId: string;
  sipCallId: string;
  state: LegState;
  log: Logger;
  dialog?: SipDialog;
  /** The leg sip-edge bridged this one with (PlaceCall with bridge_with_leg_id): re-INVITEs go across. */
  bridgedWithLegId?: string;
  /**
   * The rtpengine session of a bridge BridgeLegs made (both legs' media moved there from the call's
   * session); absent: the leg's media is in the call's session (id = call id).
   */
  bridgeSessionId?: string;
  /** A BridgeLegs is re-INVITEing this leg: a second one is refused rather than interleaved. */
  bridging?: boolean;
  /** Hangup asked while an answer or the INVITE was in flight: done as soon as it completes. */
  hangupRequested?: { sipStatus: number; reason: string };
}

export interface InboundLeg extends LegCommon {
  readonly direction: 'inbound';
  readonly request: SipRequest;
  readonly responder: SipResponder;
  readonly offerSdp: string;
  answerTimer?: NodeJS.Timeout;
  /** The platform's answer to the offer, prepared when the INVITE arrived (local-answer.ts). */
  localAnswer?: Promise<string | undefined>;
}

export interface OutboundLeg extends LegCommon {
  readonly direction: 'outbound';
  sent?: SentRequest;
  cancelReason?: CancelReason;
  ringTimer?: NodeJS.Timeout;
  /** Resolves with the INVITE's Call-ID once the engine sent it (a retried PlaceCall gets the same). */
  sending?: Promise<string>;
  /** The inbound leg this one is bridged with when it answers. */
  readonly bridgeWithLegId?: string;
  /** Statuses of the provisionals already reported, so retransmissions are reported once. */
  readonly progressSeen: Set<number>;
  /** Provisionals being passed on to the bridged caller; the answer waits for them. */
  earlyRelay?: Promise<void>;
}

export type Leg = InboundLeg | OutboundLeg;

/** Ended legs remembered so a late HangupLeg for them succeeds (bounded: oldest forgotten first). */
export const ENDED_LEGS_REMEMBERED = 10_000;

/** The legs sip-edge holds, by leg id and by call. */
export class LegRegistry {
  private readonly legs = new Map<string, Leg>();
  private readonly legsOfCall = new Map<string, Set<string>>();
  private readonly ended = new Map<string, string>();
  /** Calls with an rtpengine session, deleted when their last leg ends. */
  private readonly mediaCalls = new Set<string>();

  add(leg: Leg): void {
    this.legs.set(leg.legId, leg);
    let ofCall = this.legsOfCall.get(leg.callId);
    if (!ofCall) this.legsOfCall.set(leg.callId, (ofCall = new Set()));
    ofCall.add(leg.legId);
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

  markMedia(callId: string): void {
    this.mediaCalls.add(callId);
  }

  /**
   * After a bridge moved legs out of the call's session: when every live leg of the call is in a bridge
   * session, the call's session is gone (its branches were deleted) and is no longer deleted at the end.
   */
  forgetCallSessionIfUnused(callId: string): void {
    const live = [...(this.legsOfCall.get(callId) ?? [])].map((legId) => this.legs.get(legId));
    if (live.every((leg) => leg?.bridgeSessionId)) this.mediaCalls.delete(callId);
  }

  /** True while a live leg's media is in that bridge session. */
  bridgeSessionInUse(sessionId: string): boolean {
    return [...this.legs.values()].some((leg) => leg.bridgeSessionId === sessionId);
  }

  /** Forgets the leg; true when it was the call's last and the call had a media session to delete. */
  remove(leg: Leg): boolean {
    this.legs.delete(leg.legId);
    this.ended.set(leg.legId, leg.callId);
    if (this.ended.size > ENDED_LEGS_REMEMBERED) this.ended.delete(this.ended.keys().next().value!);
    const ofCall = this.legsOfCall.get(leg.callId);
    ofCall?.delete(leg.legId);
    if (ofCall && ofCall.size > 0) return false;
    this.legsOfCall.delete(leg.callId);
    return this.mediaCalls.delete(leg.callId);
  }

  all(): Leg[] {
    return [...this.legs.values()];
  }
}

/**
 * True once the leg has ended. A function rather than an inline comparison: the state changes under an
 * await (a CANCEL or BYE arrives meanwhile), which TypeScript's narrowing cannot see.
 */
/** The rtpengine session the leg's media is in now: its bridge's, or its call's (id = call id). */
export function mediaSessionOf(leg: Leg): string {
  return leg.bridgeSessionId ?? leg.callId;
}

export function hasEnded(leg: Leg): boolean {
  return leg.state === 'ended';
}

/** The ids of a leg for an error's context (never the leg itself: it holds srf objects and SDP). */
export function idsOf(leg: Leg): { callId: string; legId: string } {
  return { callId: leg.callId, legId: leg.legId };
}
