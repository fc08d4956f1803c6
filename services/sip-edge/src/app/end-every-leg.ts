import { callEvents } from '@callctl/proto';
import type { LegContext } from './leg-context.js';
import { byeLeg, endLeg, reasonHeader } from './leg-endings.js';
import { refuseInbound } from './inbound-legs.js';
import type { Leg } from './leg-registry.js';

/** Reason on the LegEnded facts and SIP messages of legs ended because sip-edge stops. */
export const SHUTDOWN_REASON = 'sip-edge shutting down';

/**
 * Ends every leg sip-edge holds, each with a LegEnded (PLATFORM_FAILURE) fact: BYE when answered, 503 to a
 * waiting INVITE, CANCEL to a ringing outbound one; an answer in flight finds its leg ended and BYEs the
 * new dialog. Used at shutdown: a stopped sip-edge can control nothing, and the engine would keep the
 * dialogs up with nobody behind them.
 */
export async function endEveryLeg(ctx: LegContext, reason = SHUTDOWN_REASON): Promise<number> {
  const legs = ctx.registry.all();
  await Promise.all(legs.map((leg) => endOne(ctx, leg, reason)));
  return legs.length;
}

async function endOne(ctx: LegContext, leg: Leg, reason: string): Promise<void> {
  const cause = callEvents.EndCause.END_CAUSE_PLATFORM_FAILURE;
  switch (leg.status.state) {
    case 'ended':
      return;
    case 'answered':
      // At shutdown the BYE's answer is waited for: the engine must not drop the dialog under it.
      return (await byeLeg(ctx, leg, cause, reason)).confirmed;
    case 'answering':
      return endLeg(ctx, leg, cause, 0, reason);
    case 'offered':
    case 'ringing':
    case 'calling': {
      if (leg.direction === 'inbound') {
        return refuseInbound(ctx, leg, 503, reason, cause).catch(() => endLeg(ctx, leg, cause, 503, reason));
      }
      // Ended first, so the 487 to this CANCEL finds nothing left to report.
      const ending = endLeg(ctx, leg, cause, 0, reason);
      try {
        leg.sent?.cancel({ headers: { Reason: reasonHeader(cause, reason) } });
      } catch (error) {
        leg.log.warn({ err: error }, 'CANCEL not sent');
      }
      return ending;
    }
    default: {
      const never: never = leg.status;
      throw new Error(`unknown leg state ${JSON.stringify(never)}`);
    }
  }
}
