// Legs: the call's creation, each leg's SIP life, and hang-up.
import { onActive, untilEnded, type Capability, type Started } from '../capability';
import type { Cmd } from '../../call.guards';
import * as legs from './legs.decide';
import { legsEvolve } from './legs.state';

type LegCommand =
  | 'CreateCall'
  | 'RecordInboundCall'
  | 'AnswerLeg'
  | 'RejectLeg'
  | 'Hangup'
  | 'RecordLegInitiated'
  | 'RecordLegRinging'
  | 'RecordLegAnswered'
  | 'RecordLegEnded'
  | 'RecordLegAttemptFailed';

export const legsCapability: Capability<LegCommand, keyof typeof legsEvolve> = {
  name: 'legs',
  decide: {
    CreateCall: legs.createCall,
    RecordInboundCall: legs.recordInboundCall,
    Hangup: legs.hangup,
    AnswerLeg: onActive(legs.answerLeg),
    RejectLeg: onActive(legs.rejectLeg),
    RecordLegInitiated: onActive(legs.recordLegInitiated),
    RecordLegRinging: onActive(legs.recordLegRinging),
    RecordLegAnswered: onActive(legs.recordLegAnswered),
    RecordLegEnded: untilEnded(legs.recordLegEnded),
    RecordLegAttemptFailed: untilEnded(legs.recordLegAttemptFailed),
  },
  evolve: legsEvolve,
  initial: { legs: {} },
  // sip-edge reports the answer and the end of each leg the application answered or hung up itself: a leg
  // that answered stays answered until it ends, and what ended stays ended.
  settled: {
    RecordLegAnswered: (s: Started, c: Cmd<'RecordLegAnswered'>) => {
      const status = s.legs[c.data.legId]?.status;
      return s.status === 'active' && (status === 'answered' || status === 'ended');
    },
    RecordLegEnded: (s: Started, c: Cmd<'RecordLegEnded'>) =>
      s.status === 'ended' || s.legs[c.data.legId]?.status === 'ended',
    RecordLegAttemptFailed: (s: Started, c: Cmd<'RecordLegAttemptFailed'>) => {
      const l = s.legs[c.data.legId];
      return s.status === 'ended' || (l !== undefined && legs.attemptSettled(l, c.data.attempt));
    },
  },
};
