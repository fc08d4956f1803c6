// Transfers: blind transfers asked by the API (TransferLeg) or by a phone's REFER, carried to their end.
import { onActive, untilEnded, type Capability } from '../capability';
import * as transfers from './transfers.decide';
import { transfersEvolve } from './transfers.state';

type TransferCommand =
  'TransferLeg' | 'DecideTransfer' | 'ContinueTransfer' | 'RecordReferReceived' | 'RecordReferProgress';

export const transfersCapability: Capability<TransferCommand, keyof typeof transfersEvolve> = {
  name: 'transfers',
  decide: {
    TransferLeg: onActive(transfers.transferLeg),
    DecideTransfer: transfers.decideTransfer,
    ContinueTransfer: transfers.continueTransfer,
    RecordReferReceived: untilEnded(transfers.recordReferReceived),
    RecordReferProgress: untilEnded(transfers.recordReferProgress),
  },
  evolve: transfersEvolve,
  initial: { transfers: {} },
  onLegRinging: transfers.onLegRinging,
  onLegAnswered: transfers.onLegAnswered,
  onLegEnded: transfers.onLegEnded,
};
