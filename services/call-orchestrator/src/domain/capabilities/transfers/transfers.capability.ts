// Transfers: blind transfers asked by the API (TransferLeg) or by a phone's REFER, and attended ones by a
// consultation (StartConsultation, then CompleteTransfer or CancelConsultation), carried to their end.
import { onActive, untilEnded, type Capability } from '../capability';
import * as transfers from './transfers.decide';
import * as consultations from './consultations.decide';
import * as replaces from './replaces.decide';
import { transfersEvolve } from './transfers.state';

type TransferCommand =
  | 'TransferLeg'
  | 'DecideTransfer'
  | 'ContinueTransfer'
  | 'RecordReferReceived'
  | 'RecordReferProgress'
  | 'StartConsultation'
  | 'CompleteTransfer'
  | 'CancelConsultation'
  | 'RecordLegsUnbridged'
  | 'MoveLegOut'
  | 'RecordLegMovedIn';

export const transfersCapability: Capability<
  TransferCommand,
  keyof typeof transfersEvolve | keyof typeof replaces.movesEvolve
> = {
  name: 'transfers',
  decide: {
    TransferLeg: onActive(transfers.transferLeg),
    DecideTransfer: transfers.decideTransfer,
    ContinueTransfer: transfers.continueTransfer,
    RecordReferReceived: untilEnded(transfers.recordReferReceived),
    RecordReferProgress: untilEnded(transfers.recordReferProgress),
    StartConsultation: onActive(consultations.startConsultation),
    CompleteTransfer: onActive(consultations.completeTransfer),
    CancelConsultation: onActive(consultations.cancelConsultation),
    RecordLegsUnbridged: untilEnded(consultations.recordLegsUnbridged),
    MoveLegOut: replaces.moveLegOut,
    RecordLegMovedIn: replaces.recordLegMovedIn,
  },
  evolve: { ...transfersEvolve, ...replaces.movesEvolve },
  initial: { transfers: {}, movedOut: {} },
  onLegRinging: transfers.onLegRinging,
  onLegAnswered: transfers.onLegAnswered,
  onLegEnded: transfers.onLegEnded,
};
