import { newRootTraceparent, runInTrace } from '@callctl/telemetry';
import { callEvents, type sipEdge } from '@callctl/proto';
import type { EndCause } from '../domain/end-cause.js';
import { bridgeLegs, type BridgeIds } from './bridge-legs.js';
import {
  answerInbound,
  offerInboundCall,
  type AnswerOptions,
  refuseWhileDraining,
  rejectInbound,
  ringInbound,
} from './inbound-legs.js';
import { liveLegCount, waitForLegsToEnd } from './drain.js';
import { hangupLeg } from './hangup-leg.js';
import { setLegDirection, type PlatformDirection } from './leg-direction.js';
import { unbridgeLegs, type UnbridgedMedia } from './unbridge-legs.js';
import type { LegContext } from './leg-context.js';
import type { JournalEntry } from './leg-journal.js';
import type { LegState } from './leg-registry.js';
import { moveLeg } from './move-leg.js';
import { referLeg } from './refer-leg.js';
import { notifyRefer, refuseReferWithoutDialog } from './refer-received.js';
import { sendDtmfInfo } from './send-dtmf-info.js';
import { placeCall, type PlaceCallInput, type PlacedCall } from './outbound-legs.js';
import { endEveryLeg } from './end-every-leg.js';
import { endRecoveredLegs } from './recover-legs.js';
import type { SipRequest, SipResponder } from './sip-stack.js';
import type { OfferedCaller } from './inbound-gate.js';

/**
 * sip_state of ListLegs: offered (inbound, not answered), ringing, answered. An outbound leg whose 2xx is in
 * is answered on the wire while its media is still being set up: a ring timeout asking now must record the
 * answer, not a NO_ANSWER. An inbound leg being answered has not sent its 2xx yet.
 */
function edgeState(leg: { direction: 'inbound' | 'outbound'; status: { state: LegState } }): string {
  const state = leg.status.state;
  if (state === 'calling') return 'offered';
  if (state === 'answering') return leg.direction === 'outbound' ? 'answered' : 'ringing';
  return state;
}

/** The SIP actions of the SipEdge API and the inbound INVITE handler, over one LegContext. */
export class SipLegs {
  /** Set once sip-edge drains: new INVITEs are refused with 503 and this Retry-After. */
  private drainingRetryAfterS: number | undefined;

  constructor(private readonly ctx: LegContext) {}

  /** `caller`: who the inbound gate found calling (trunk, or authenticated user and route). */
  onInvite(request: SipRequest, responder: SipResponder, caller: OfferedCaller = {}): Promise<void> {
    if (this.drainingRetryAfterS !== undefined)
      return refuseWhileDraining(responder, this.drainingRetryAfterS);
    // A new call starts a trace of its own: its facts, the media-worker calls and the log lines carry it.
    return runInTrace(newRootTraceparent(), () => offerInboundCall(this.ctx, request, responder, caller));
  }

  /** True once stopTakingCalls was called: new INVITEs are refused before anything else looks at them. */
  draining(): boolean {
    return this.drainingRetryAfterS !== undefined;
  }

  /** A REFER srf holds no dialog for: refused with 481 (the REFERs of live dialogs reach their legs). */
  onReferWithoutDialog(responder: SipResponder): Promise<void> {
    return refuseReferWithoutDialog(responder);
  }

  answer(callId: string, legId: string, options: AnswerOptions = {}): Promise<void> {
    return answerInbound(this.ctx, callId, legId, options);
  }

  /** DTMF by SIP INFO, one INFO per digit; resolves once the far end accepted each. */
  sendDtmfInfo(callId: string, legId: string, digits: string, durationMs: number): Promise<void> {
    return sendDtmfInfo(this.ctx, callId, legId, digits, durationMs);
  }

  reject(callId: string, legId: string, sipStatus: number, reason: string): Promise<void> {
    return rejectInbound(this.ctx, callId, legId, sipStatus, reason);
  }

  ring(callId: string, legId: string): Promise<void> {
    return ringInbound(this.ctx, callId, legId);
  }

  place(input: PlaceCallInput): Promise<PlacedCall> {
    return placeCall(this.ctx, input);
  }

  /** Resolves with the rtpengine session the bridged legs' media is in. */
  bridge(callId: string, legAId: string, legBId: string, ids: BridgeIds): Promise<string> {
    return bridgeLegs(this.ctx, callId, legAId, legBId, ids);
  }

  /** Holds the leg (sendonly, inactive) or resumes it (sendrecv); resolves with the phone's answer. */
  setDirection(callId: string, legId: string, direction: PlatformDirection | undefined): Promise<string> {
    return setLegDirection(this.ctx, callId, legId, direction);
  }

  /** Takes two bridged legs apart; resolves with where each one's media is now. */
  unbridge(callId: string, legAId: string, legBId: string, holdA: boolean): Promise<UnbridgedMedia> {
    return unbridgeLegs(this.ctx, callId, legAId, legBId, holdA);
  }

  /** Sends a REFER on the leg; resolves with the phone's 2xx status (progress follows as facts). */
  refer(input: sipEdge.ReferLegRequest): Promise<number> {
    return referLeg(this.ctx, input);
  }

  /** A NOTIFY for a REFER the leg's phone sent (sipfrag `status reason`). */
  notifyRefer(input: sipEdge.NotifyReferRequest): Promise<void> {
    return notifyRefer(this.ctx, input);
  }

  /** Re-homes a live leg in another call (its facts go there from now on). */
  move(input: sipEdge.MoveLegRequest): void {
    moveLeg(this.ctx, input);
  }

  /** `why`: the platform's cause, for the Reason header's Q.850 cause (unspecified: a plain hangup). */
  hangup(callId: string, legId: string, sipStatus: number, reason: string, why?: EndCause): Promise<void> {
    const cause = why === callEvents.EndCause.END_CAUSE_UNSPECIFIED ? undefined : why;
    return hangupLeg(this.ctx, callId, legId, sipStatus, reason, cause);
  }

  /** Ends the legs the previous run of this instance left behind (read from the journal); returns how many. */
  endLegsOfPreviousRun(entries: readonly JournalEntry[]): Promise<number> {
    return endRecoveredLegs(this.ctx, entries);
  }

  /**
   * Stops taking new calls (503 with Retry-After to every new INVITE); the legs held go on, and the SIP
   * actions on them still work.
   */
  stopTakingCalls(retryAfterS: number): void {
    this.drainingRetryAfterS = retryAfterS;
  }

  /** The legs held that have not ended. */
  liveCount(): number {
    return liveLegCount(this.ctx.registry);
  }

  /** Resolves when no leg is left or maxMs has passed, with the number still up. */
  waitForLegsToEnd(maxMs: number): Promise<number> {
    return waitForLegsToEnd(this.ctx.registry, maxMs);
  }

  /** Ends every leg (shutdown); returns how many there were. */
  endEveryLeg(): Promise<number> {
    return endEveryLeg(this.ctx);
  }

  /** `callId`: only that call's legs. */
  list(callId?: string): sipEdge.EdgeLeg[] {
    const legs = this.ctx.registry.all();
    return (callId === undefined ? legs : legs.filter((leg) => leg.callId === callId)).map((leg) => ({
      callId: leg.callId,
      legId: leg.legId,
      sipCallId: leg.sipCallId,
      sipState: edgeState(leg),
    }));
  }
}
