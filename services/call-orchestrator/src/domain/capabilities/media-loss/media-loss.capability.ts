// Media loss: a leg's media session vanished from rtpengine; recorded on the leg, then by default hung up.
import { untilEnded, type Capability } from '../capability';
import { mediaLossSettled, recordMediaSessionLost } from './media-loss.decide';
import { mediaLossEvolve } from './media-loss.state';

export const mediaLossCapability: Capability<'RecordMediaSessionLost', keyof typeof mediaLossEvolve> = {
  name: 'media-loss',
  decide: { RecordMediaSessionLost: untilEnded(recordMediaSessionLost) },
  evolve: mediaLossEvolve,
  initial: { mediaLost: {} },
  settled: {
    RecordMediaSessionLost: (s, c) => s.status !== 'active' || mediaLossSettled(s, c),
  },
};
