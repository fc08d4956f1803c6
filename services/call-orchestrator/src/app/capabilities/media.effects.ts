// Media actions on a leg, through the media-worker, before the append.
import type { CapabilityEffects } from './effects.js';

export const mediaEffects: CapabilityEffects = {
  name: 'media',
  effects: {
    PlayMedia: {
      before: async (ports, callId, _command, decision) => {
        for (const e of decision.events)
          if (e.type === 'PlaybackStarted')
            await ports.media.play({
              callId,
              legId: e.data.legId,
              source: e.data.mediaUri,
              repeat: e.data.repeat,
              playbackId: e.data.playbackId,
            });
      },
    },
    StopMedia: {
      before: async (ports, callId, _command, decision) => {
        for (const e of decision.events)
          if (e.type === 'PlaybackFinished') await ports.media.stopPlay(callId, e.data.legId);
      },
    },
    StartEcho: { before: (ports, callId, command) => ports.media.startEcho(callId, command.data.legId) },
    StopEcho: { before: (ports, callId, command) => ports.media.stopEcho(callId, command.data.legId) },
  },
};
