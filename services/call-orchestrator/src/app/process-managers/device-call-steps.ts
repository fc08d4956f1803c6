// What the device-call process manager has left to do on a call, read off the call's state alone (so an
// orchestrator that restarts, or another instance, picks up where the last one stopped).
//
// A device's call (seed 001: "to the cloud first") is an inbound leg whose LegInitiated names the
// authenticated user and where the dial plan routes it (routed_to). The platform dials routed_to through the
// caller (Dial with bridge_with_leg_id = the caller: sip-edge offers the caller's SDP to the callee, relays
// its 180/183 to the caller, answers the caller when the callee answers, and the log records LegsBridged).
// What is left to the orchestrator: the Dial itself, the caller's refusal when the callee fails (with the
// callee's cause and a status the caller understands), and the callee's hang-up when the caller gives up.
import { callEvents } from '@callctl/proto';
import { REASON_PHRASES } from '@callctl/sip';
import type { CallState, Leg } from '../../domain/call.state.js';
import type { Active } from '../../domain/call.guards.js';
import { isDialledNumber } from '../../domain/capabilities/legs/dial-target.js';
import { beingTransferred } from '../../domain/capabilities/transfers/transfers.state.js';

const { EndCause, LegDirection } = callEvents;

export type DeviceCallStep =
  | { readonly kind: 'dial'; readonly callerLegId: string; readonly toUri: string; readonly fromUri: string }
  | {
      readonly kind: 'rejectCaller';
      readonly callerLegId: string;
      readonly sipStatus: number;
      readonly reason: string;
      readonly cause: callEvents.EndCause;
    }
  | { readonly kind: 'hangupCallee'; readonly calleeLegId: string; readonly callerLegId: string };

/** The idempotency key of the Dial for a caller: one callee per device call, found again in the state. */
export const deviceDialKey = (callerLegId: string): string => `device-call:${callerLegId}`;

const waiting = (l: Leg): boolean => l.status === 'initiated' || l.status === 'ringing';

/** A device's leg: inbound, from an authenticated user, with where the dial plan routes it. */
export const isDeviceCaller = (l: Leg): boolean =>
  l.direction === LegDirection.LEG_DIRECTION_INBOUND && Boolean(l.user) && Boolean(l.routedTo);

/** The leg the platform dialled for this caller, if it did. */
export function calleeOf(
  state: Extract<CallState, { status: 'active' }>,
  callerLegId: string,
): Leg | undefined {
  const dialled = state.idempotency[deviceDialKey(callerLegId)]?.resultId;
  return dialled ? state.legs[dialled] : undefined;
}

/**
 * What the dial plan's routed_to becomes as a Dial target: a URI or a number as given, `user@domain` (a
 * platform user) as its SIP URI.
 */
export function dialTargetOfRoute(routedTo: string): string {
  if (/^(sips?|tel):/.test(routedTo) || isDialledNumber(routedTo)) return routedTo;
  return `sip:${routedTo}`;
}

/** The status a caller is refused with when the callee's leg ended without an answer with this cause. */
const CALLER_STATUS_BY_CAUSE: Partial<Record<callEvents.EndCause, number>> = {
  [EndCause.END_CAUSE_NO_ROUTE]: 404,
  [EndCause.END_CAUSE_NOT_REGISTERED]: 480,
  [EndCause.END_CAUSE_BUSY]: 486,
  [EndCause.END_CAUSE_REJECTED]: 603,
  [EndCause.END_CAUSE_NO_ANSWER]: 480,
  [EndCause.END_CAUSE_UNREACHABLE]: 480,
  [EndCause.END_CAUSE_PLATFORM_FAILURE]: 500,
  [EndCause.END_CAUSE_MEDIA_TIMEOUT]: 500,
};

/**
 * The final status the caller gets for the callee's failure. The callee's own final status is passed on,
 * except those that are not the caller's: 487 (the platform's own CANCEL: ring timeout, hang-up), 401/407 (a
 * challenge to the platform), and 503, which upstream would mean "this server is unavailable, try another"
 * (RFC 3261 16.7: a 503 is passed on as 500). Without a status, the callee's cause says which.
 */
export function callerStatusOf(cause: callEvents.EndCause, sipStatus: number): number {
  if (sipStatus === 503) return 500;
  const passedOn = sipStatus >= 400 && sipStatus <= 699 && ![401, 407, 487].includes(sipStatus);
  return passedOn ? sipStatus : (CALLER_STATUS_BY_CAUSE[cause] ?? 480);
}

function rejectCaller(caller: Leg, callee: Extract<Leg, { status: 'ended' }>): DeviceCallStep {
  const sipStatus = callerStatusOf(callee.cause, callee.sipStatus);
  return {
    kind: 'rejectCaller',
    callerLegId: caller.legId,
    sipStatus,
    reason: REASON_PHRASES[sipStatus] ?? '',
    // The caller's leg ends for the callee's reason (BUSY, NOT_REGISTERED, ...), not as a plain rejection.
    cause: callee.cause === EndCause.END_CAUSE_UNSPECIFIED ? EndCause.END_CAUSE_REJECTED : callee.cause,
  };
}

/**
 * Whether a callee whose caller ended is left with nobody: it still rings (the caller gave up), or it
 * answered as the caller's CANCEL crossed sip-edge's answer to the caller, so they were never bridged. A
 * callee that was bridged is the bridge's (its peer's end ends it) or a transfer's (it is moved on).
 */
function leftAlone(state: Active, callee: Leg): boolean {
  if (waiting(callee)) return true;
  if (callee.status !== 'answered' || beingTransferred(state, callee)) return false;
  return !Object.values(state.bridges).some((b) => b.legAId === callee.legId || b.legBId === callee.legId);
}

/** The steps due on this call now (each is idempotent: taking one twice records nothing new). */
export function deviceCallSteps(state: CallState): DeviceCallStep[] {
  if (state.status !== 'active') return [];
  const steps: DeviceCallStep[] = [];
  for (const caller of Object.values(state.legs)) {
    if (!isDeviceCaller(caller)) continue;
    const callee = calleeOf(state, caller.legId);
    if (waiting(caller)) {
      if (!callee)
        steps.push({
          kind: 'dial',
          callerLegId: caller.legId,
          toUri: dialTargetOfRoute(caller.routedTo ?? ''),
          fromUri: caller.fromUri,
        });
      else if (callee.status === 'ended') steps.push(rejectCaller(caller, callee));
      // A callee that answered: sip-edge answers the caller (dialled through), the log records the bridge.
    } else if (caller.status === 'ended' && callee && leftAlone(state, callee)) {
      steps.push({ kind: 'hangupCallee', calleeLegId: callee.legId, callerLegId: caller.legId });
    }
  }
  return steps;
}
