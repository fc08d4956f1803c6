// Transfers: blind transfers asked by the API (TransferLeg) or by a phone's REFER, and attended ones by a
// consultation (StartConsultation, then CompleteTransfer or CancelConsultation), carried to their end.
import { onActive, untilEnded, type Capability } from '../capability';
import * as transfers from './transfers.decide';
import * as consultations from './consultations.decide';
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
  | 'RecordLegsUnbridged';

export const transfersCapability: Capability<TransferCommand, keyof typeof transfersEvolve> = {
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
  },
  evolve: transfersEvolve,
  initial: { transfers: {} },
  onLegRinging: transfers.onLegRinging,
  onLegAnswered: transfers.onLegAnswered,
  onLegEnded: transfers.onLegEnded,
};
