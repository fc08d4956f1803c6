// GetCall's answer: the call's state as folded from its stream, with times from the events' envelopes.
import { callControl } from '@callctl/proto';
import type { Leg } from '../domain/call.state.js';
import type { LoadedCall } from './call-repository.js';
import { roleOf } from '../domain/capabilities/legs/roles.js';

const { LegState } = callControl;

const LEG_STATES: Record<Leg['status'], callControl.LegState> = {
  initiated: LegState.LEG_STATE_INITIATED,
  ringing: LegState.LEG_STATE_RINGING,
  answered: LegState.LEG_STATE_ANSWERED,
  ended: LegState.LEG_STATE_ENDED,
};

const date = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

/** undefined for a call with no events. */
export function callView(call: LoadedCall): callControl.Call | undefined {
  const { state, timeline } = call;
  if (state.status === 'none') return undefined;
  const bridgedWith = (leg: Leg): string => {
    if (leg.status !== 'answered' || !leg.bridgeId) return '';
    const bridge = state.bridges[leg.bridgeId];
    if (!bridge) return '';
    return bridge.legAId === leg.legId ? bridge.legBId : bridge.legAId;
  };
  const legs = Object.values(state.legs).map((leg): callControl.Leg => ({
    legId: leg.legId,
    inbandDtmf: leg.inbandDtmf ?? false,
    direction: leg.direction,
    fromUri: leg.fromUri,
    toUri: leg.toUri,
    state: LEG_STATES[leg.status],
    earlyMedia: leg.status === 'ringing' && leg.earlyMedia,
    endCause: leg.status === 'ended' ? leg.cause : 0,
    sipStatus: leg.status === 'ended' ? leg.sipStatus : 0,
    bridgedWithLegId: bridgedWith(leg),
    initiatedAt: date(timeline.legs[leg.legId]?.initiatedAtMs),
    answeredAt: date(timeline.legs[leg.legId]?.answeredAtMs),
    endedAt: date(timeline.legs[leg.legId]?.endedAtMs),
    ...roleOf(leg),
    // Only while it is up: an ended leg is held by nobody.
    ...(leg.hold && leg.status === 'answered' ? { heldBy: leg.hold.by } : {}),
  }));
  const limit =
    state.status === 'active' && state.maxDurationMs > 0 && timeline.firstAnsweredAtMs !== undefined
      ? timeline.firstAnsweredAtMs + state.maxDurationMs
      : undefined;
  return {
    callId: state.callId,
    clientState: state.clientState,
    ended: state.status === 'ended',
    endCause: state.status === 'ended' ? state.cause : 0,
    legs,
    hangupDeadline: date(limit),
    createdAt: date(timeline.createdAtMs),
    endedAt: date(timeline.endedAtMs),
    version: call.version,
  };
}
