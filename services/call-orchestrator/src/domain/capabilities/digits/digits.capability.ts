// Digit collection on a leg, and the DTMF digits it takes.
import { onActive, untilEnded, type Capability } from '../capability';
import * as digits from './digits.decide';
import * as dtmf from './dtmf.decide';
import { digitsEvolve } from './digits.state';

type DigitsCommand =
  'CollectDigits' | 'RecordDtmf' | 'RecordCollectTimeout' | 'SendDtmf' | 'SetDtmfDetection';

export const digitsCapability: Capability<DigitsCommand, keyof typeof digitsEvolve> = {
  name: 'digits',
  decide: {
    CollectDigits: onActive(digits.collectDigits),
    RecordDtmf: onActive(digits.recordDtmf),
    RecordCollectTimeout: untilEnded(digits.recordCollectTimeout),
    SendDtmf: onActive(dtmf.sendDtmf),
    SetDtmfDetection: onActive(dtmf.setDtmfDetection),
  },
  evolve: digitsEvolve,
  initial: { collects: {} },
  onLegEnded: digits.cancelCollectionOfLeg,
};
