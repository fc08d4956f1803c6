// Hold on the wire (app/hold-media.ts): HoldLeg and ResumeLeg re-INVITE the phone and switch the music and
// the blocks before the append, like PlayMedia, so a refused re-INVITE or a missing track records nothing
// and the client gets the status. A hold or resume decided as nothing (held already, not held) does
// nothing. A phone's own hold (RecordLegHoldChanged) has no action: sip-edge passed its re-INVITE on.
import { active } from '../../domain/call.guards.js';
import { holdMedia, resumeMedia } from '../hold-media.js';
import type { CapabilityEffects } from './effects.js';

export const holdsEffects: CapabilityEffects = {
  name: 'holds',
  effects: {
    HoldLeg: {
      before: async (ports, _callId, _command, decision, state) => {
        for (const e of decision.events)
          if (e.type === 'LegHeld')
            await holdMedia(ports, active(state), e.data.legId, {
              ...(e.data.musicUri ? { mediaUri: e.data.musicUri } : {}),
              toPeer: e.data.musicToPeer,
            });
      },
    },
    ResumeLeg: {
      before: async (ports, _callId, _command, decision, state) => {
        for (const e of decision.events)
          if (e.type === 'LegResumed') await resumeMedia(ports, active(state), e.data.legId);
      },
    },
  },
};
