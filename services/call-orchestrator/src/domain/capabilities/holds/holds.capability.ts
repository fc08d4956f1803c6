// Hold: HoldLeg/ResumeLeg and a phone's own hold (LegHoldChanged), on the leg's state (Leg.hold).
import { onActive, untilEnded, type Capability } from '../capability';
import { holdLeg, recordLegHoldChanged, resumeLeg } from './holds.decide';
import { holdsEvolve } from './holds.state';

export const holdsCapability: Capability<
  'HoldLeg' | 'ResumeLeg' | 'RecordLegHoldChanged',
  keyof typeof holdsEvolve
> = {
  name: 'holds',
  decide: {
    HoldLeg: onActive(holdLeg),
    ResumeLeg: onActive(resumeLeg),
    RecordLegHoldChanged: untilEnded(recordLegHoldChanged),
  },
  evolve: holdsEvolve,
};
