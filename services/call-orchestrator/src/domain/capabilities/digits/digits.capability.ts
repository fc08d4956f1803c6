// Digit collection on a leg, and the DTMF digits it takes.
import { onActive, untilEnded, type Capability } from '../capability';
import * as digits from './digits.decide';
import { digitsEvolve } from './digits.state';

type DigitsCommand = 'CollectDigits' | 'RecordDtmf' | 'RecordCollectTimeout';

export const digitsCapability: Capability<DigitsCommand, keyof typeof digitsEvolve> = {
  name: 'digits',
  decide: {
    CollectDigits: onActive(digits.collectDigits),
    RecordDtmf: onActive(digits.recordDtmf),
    RecordCollectTimeout: untilEnded(digits.recordCollectTimeout),
  },
  evolve: digitsEvolve,
  initial: { collects: {} },
  onLegEnded: digits.cancelCollectionOfLeg,
};
