// Bridges' SIP actions: joining two legs' media before the append, and Dial's INVITE after it.
import type { CapabilityEffects } from './effects.js';
import { inviteNotSent, placeRequestedLegs } from './legs.effects.js';

export const bridgesEffects: CapabilityEffects = {
  name: 'bridges',
  effects: {
    BridgeLegs: {
      // The media is joined (re-INVITEs through a new rtpengine session) before LegsBridged is recorded: a
      // bridge in the log always carries audio, and a refused re-INVITE records nothing. A crash between
      // the two loses nothing: sip-edge reports the joined legs as a fact under this bridge id and key.
      // LegsBridged records the session sip-edge put both legs' media in.
      before: async (ports, callId, _command, decision) => {
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
      },
    },
    Dial: {
      after: (ports, callId, _command, decision) => placeRequestedLegs(ports, callId, decision),
      afterFailed: inviteNotSent,
    },
  },
};
