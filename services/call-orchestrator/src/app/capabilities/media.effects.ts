// Media actions on a leg, through the media-worker, before the append. Each names the party where the
// leg's media is now (the call state's leg.media), never a convention of ids.
import { partyOf, type CapabilityEffects } from './effects.js';

export const mediaEffects: CapabilityEffects = {
  name: 'media',
  effects: {
    PlayMedia: {
      before: async (ports, callId, _command, decision, state) => {
        for (const e of decision.events)
          if (e.type === 'PlaybackStarted')
            await ports.media.play({
              callId,
              party: partyOf(state, e.data.legId),
              source: e.data.mediaUri,
              repeat: e.data.repeat,
              playbackId: e.data.playbackId,
            });
      },
    },
    StopMedia: {
      before: async (ports, _callId, _command, decision, state) => {
        for (const e of decision.events)
          if (e.type === 'PlaybackFinished') await ports.media.stopPlay(partyOf(state, e.data.legId));
      },
    },
    StartEcho: {
      before: (ports, _callId, command, _decision, state) =>
        ports.media.startEcho(partyOf(state, command.data.legId)),
    },
    StopEcho: {
      before: (ports, _callId, command, _decision, state) =>
        ports.media.stopEcho(partyOf(state, command.data.legId)),
    },
  },
};
