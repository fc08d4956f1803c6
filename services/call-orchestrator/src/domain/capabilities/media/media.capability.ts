// Media on a leg: playbacks and echo.
import { onActive, untilEnded, type Capability } from '../capability';
import * as media from './media.decide';
import { mediaEvolve } from './media.state';

type MediaCommand = 'PlayMedia' | 'StopMedia' | 'StartEcho' | 'StopEcho' | 'RecordPlaybackFinished';

export const mediaCapability: Capability<MediaCommand, keyof typeof mediaEvolve> = {
  name: 'media',
  decide: {
    PlayMedia: onActive(media.playMedia),
    StopMedia: onActive(media.stopMedia),
    StartEcho: onActive(media.startEcho),
    StopEcho: onActive(media.stopEcho),
    RecordPlaybackFinished: untilEnded(media.recordPlaybackFinished),
  },
  evolve: mediaEvolve,
  initial: { playbacks: {} },
  onLegEnded: media.endPlaybacksOfLeg,
};
