import { callEvents } from '@callctl/proto';
import { checkFinalStatus } from '../domain/dial-target.js';
import type { EndCause } from '../domain/end-cause.js';
import type { LegContext } from './leg-context.js';
import { byeLeg } from './leg-endings.js';
import { refuseInbound } from './inbound-legs.js';
import { idsOf } from './leg-registry.js';
import { hangupRingingOutbound } from './outbound-legs.js';

/** Status sent to an unanswered inbound leg the platform hangs up. */
export const DEFAULT_HANGUP_STATUS = 487;

/**
 * Ends a leg in whatever SIP state it is (sip_edge.proto HangupLeg): BYE when answered, CANCEL while an
 * outbound INVITE rings, a final response while an inbound INVITE waits, and after an answer or INVITE in
 * flight as soon as it completes. A leg that already ended is a success. `why` is the platform's cause,
 * for the Q.850 cause of the BYE's or CANCEL's Reason header.
 */
export async function hangupLeg(
  ctx: LegContext,
  callId: string,
  legId: string,
  sipStatus: number,
  reason: string,
  why: EndCause = callEvents.EndCause.END_CAUSE_LOCAL_HANGUP,
): Promise<void> {
  const leg = ctx.registry.lookup(callId, legId);
  if (!leg) return;
  const text = reason || 'hangup';
  leg.log.info({ state: leg.status.state, reason: text }, 'hangup requested');
  switch (leg.status.state) {
    case 'ended':
      return;
    case 'answered':
      // Answered once the leg is ended on our side, not when the far end confirms the BYE (byeLeg).
      await byeLeg(ctx, leg, callEvents.EndCause.END_CAUSE_LOCAL_HANGUP, text, why);
      return;
    case 'answering':
      leg.hangupRequested = { sipStatus, reason: text, why };
      return;
    case 'offered':
    case 'ringing':
    case 'calling':
      if (leg.direction === 'outbound') return hangupRingingOutbound(ctx, leg, text, why);
      return refuseInbound(
        ctx,
        leg,
        sipStatus ? checkFinalStatus(sipStatus, idsOf(leg)) : DEFAULT_HANGUP_STATUS,
        reason,
        callEvents.EndCause.END_CAUSE_LOCAL_HANGUP,
      );
    default: {
      const never: never = leg.status;
      throw new Error(`unknown leg state ${JSON.stringify(never)}`);
    }
  }
}
