// Three-way calls: participants dialled into a call and mixed into its conversation.
import { onActive, type Capability } from '../capability';
import * as participants from './participants.decide';
import { participantsEvolve } from './participants.state';

type ParticipantCommand = 'AddParticipant' | 'RemoveParticipant';

export const participantsCapability: Capability<ParticipantCommand, keyof typeof participantsEvolve> = {
  name: 'participants',
  decide: {
    AddParticipant: onActive(participants.addParticipant),
    RemoveParticipant: participants.removeParticipantOf,
  },
  evolve: participantsEvolve,
  initial: { participants: {} },
  onLegAnswered: participants.onLegAnswered,
  onLegEnded: participants.onLegEnded,
  onCallEnded: participants.onCallEnded,
};
