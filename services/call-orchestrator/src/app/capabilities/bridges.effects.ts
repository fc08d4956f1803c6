// Bridges' SIP actions: joining two legs' media before the append, and Dial's INVITE after it.
import type { Decision } from '../../domain/call.guards.js';
import type { CapabilityEffects, EffectPorts, EventAmendment } from './effects.js';
import { inviteNotSent, placeRequestedLegs } from './legs.effects.js';

/**
 * Joins the media of the legs the decision's LegsBridged names (re-INVITEs through a new rtpengine session)
 * and amends that event with the session sip-edge put both legs' media in. Nothing to join: no amendment.
 */
export async function joinBridgedLegs(
  ports: EffectPorts,
  callId: string,
  decision: Decision,
): Promise<EventAmendment | void> {
  for (const e of decision.events)
    if (e.type === 'LegsBridged') {
      const { mediaSessionId } = await ports.sipEdge.bridgeLegs(callId, e.data.legAId, e.data.legBId, {
        bridgeId: e.data.bridgeId,
        idempotencyKey: e.data.idempotencyKey,
      });
      const bridgeId = e.data.bridgeId;
      return (event) =>
        event.type === 'LegsBridged' && event.data.bridgeId === bridgeId
          ? { ...event, data: { ...event.data, mediaSessionId } }
          : event;
    }
}

export const bridgesEffects: CapabilityEffects = {
  name: 'bridges',
  effects: {
    BridgeLegs: {
      // The media is joined (re-INVITEs through a new rtpengine session) before LegsBridged is recorded: a
      // bridge in the log always carries audio, and a refused re-INVITE records nothing. A crash between
      // the two loses nothing: sip-edge reports the joined legs as a fact under this bridge id and key.
      // LegsBridged records the session sip-edge put both legs' media in.
      before: (ports, callId, _command, decision) => joinBridgedLegs(ports, callId, decision),
    },
    Dial: {
      after: (ports, callId, _command, decision) => placeRequestedLegs(ports, callId, decision),
      afterFailed: inviteNotSent,
    },
  },
};
