// SIPREC to an external Session Recording Server. The driver's reports and sip-edge's fact are decided
// only while the call is up (untilEnded): the call's end stopped every session already.
import { onActive, onStarted, untilEnded, type Capability } from '../capability';
import * as siprec from './siprec.decide';
import { siprecEvolve } from './siprec.state';

type SiprecCommandType =
  | 'StartSiprec'
  | 'PauseSiprec'
  | 'ResumeSiprec'
  | 'StopSiprec'
  | 'RecordSiprecAttemptFailed'
  | 'RecordSiprecStarted'
  | 'RecordSiprecFailed'
  | 'RecordSiprecUpdated'
  | 'RecordSiprecSessionEnded';

export const siprecCapability: Capability<SiprecCommandType, keyof typeof siprecEvolve> = {
  name: 'siprec',
  decide: {
    StartSiprec: onActive(siprec.startSiprec),
    PauseSiprec: onActive(siprec.pauseSiprec),
    ResumeSiprec: onActive(siprec.resumeSiprec),
    // Stopping a session that ended with its call is OK.
    StopSiprec: onStarted(siprec.stopSiprec),
    RecordSiprecAttemptFailed: untilEnded(siprec.recordSiprecAttemptFailed),
    RecordSiprecStarted: untilEnded(siprec.recordSiprecStarted),
    RecordSiprecFailed: untilEnded(siprec.recordSiprecFailed),
    RecordSiprecUpdated: untilEnded(siprec.recordSiprecUpdated),
    RecordSiprecSessionEnded: untilEnded(siprec.recordSiprecSessionEnded),
  },
  evolve: siprecEvolve,
  initial: { siprecs: {} },
  settled: siprec.siprecSettled,
  onCallEnded: siprec.stopSiprecsOfCall,
};
