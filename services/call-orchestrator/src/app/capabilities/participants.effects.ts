// Three-way calls on the wire: the participant's INVITE is placed after AddParticipant's append (like
// Dial's: a failed INVITE ends the leg, hence the participant, as FAILED); RemoveParticipant hangs its leg
// up before the append (as Hangup does). The mixer room follows the participants, and a participant's leg
// ended by the call's end or the mixer's loss is hung up, in monitors.effects.ts (the room is shared).
import { callEvents } from '@callctl/proto';
import type { Decision } from '../../domain/call.guards.js';
import { dialledLegNotSent, hangupEndedLegs, placeRequestedLegs } from './legs.effects.js';
import type { CapabilityEffects } from './effects.js';

const isParticipantDial = (e: Decision['events'][number]) =>
  e.type === 'DialRequested' && e.data.role === callEvents.LegRole.LEG_ROLE_PARTICIPANT;

export const participantsEffects: CapabilityEffects = {
  name: 'participants',
  effects: {
    AddParticipant: {
      after: (ports, callId, _command, decision) =>
        placeRequestedLegs(ports, callId, decision, isParticipantDial),
      // The participant leg whose INVITE could not be sent ends (and the participant with it).
      afterFailed: dialledLegNotSent(isParticipantDial),
    },
    RemoveParticipant: {
      before: (ports, callId, _command, decision) =>
        hangupEndedLegs(ports, callId, decision, 'participant removed'),
    },
  },
};
