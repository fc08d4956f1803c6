// Media loss's SIP action: a leg whose media session vanished is hung up (BYE) before its LegEnded
// (MEDIA_TIMEOUT) is appended, like any hangup (command-effects.ts); with MEDIA_LOST_ACTION=record the
// decision ends no leg and nothing is sent.
import type { CapabilityEffects } from './effects.js';
import { hangupEndedLegs } from './legs.effects.js';

export const mediaLossEffects: CapabilityEffects = {
  name: 'media-loss',
  effects: {
    RecordMediaSessionLost: {
      before: (ports, callId, command, decision) =>
        hangupEndedLegs(ports, callId, decision, `media lost: ${command.data.reason}`),
    },
  },
};
