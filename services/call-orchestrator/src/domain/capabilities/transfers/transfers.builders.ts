// One-line test builders of transfers: A (outbound, sip:A@127.0.0.1) bridged with B is transferred to a
// target dialled on leg T; transfer X1; a phone's REFER on B has refer id 7 and makes transfer R1.
import { callEvents } from '@callctl/proto';
import type { CallCommand, ReferPolicy } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta } from '../../testing/builder-base';
import { bothAnswered } from '../legs/legs.builders';
import { legsBridged } from '../bridges/bridges.builders';

const { Initiator, TransferFailureCause, TransferKind, TransferMode } = callEvents;
export { TransferFailureCause, TransferKind, TransferMode };
export const TARGET = 'sip:carol@127.0.0.1';
export const PERFORM: ReferPolicy = { ask: false, decisionTimeoutMs: 10_000, defaultAccept: true };
export const ASK: ReferPolicy = { ...PERFORM, ask: true };

type TransferOptions = Partial<{
  mode: callEvents.TransferMode;
  release: boolean;
  target: string;
  key: string;
  timeoutMs: number;
}>;

export const transferLeg = (o: TransferOptions & { leg?: string } = {}): CallCommand => ({
  type: 'TransferLeg',
  data: {
    legId: o.leg ?? 'A',
    targetUri: o.target ?? TARGET,
    mode: o.mode ?? TransferMode.TRANSFER_MODE_BRIDGE,
    fromUri: '',
    timeoutMs: o.timeoutMs ?? 0,
    releaseOnFailure: o.release ?? false,
    targetLegId: 'T',
  },
  metadata: meta('X1', 'key' in o ? o.key : 'k-xfer'),
});

export const transferRequested = (o: TransferOptions = {}): CallEvent => {
  const refer = o.mode === TransferMode.TRANSFER_MODE_REFER;
  return {
    type: 'TransferRequested',
    data: {
      ...base,
      transferId: 'X1',
      kind: TransferKind.TRANSFER_KIND_BLIND,
      mode: o.mode ?? TransferMode.TRANSFER_MODE_BRIDGE,
      by: Initiator.INITIATOR_API,
      transfereeLegId: 'A',
      transferorLegId: 'B',
      targetUri: o.target ?? TARGET,
      targetLegId: refer ? '' : 'T',
      referredBy: '',
      replacesCallId: '',
      replacesLegId: '',
      awaitingDecision: false,
      decisionDeadlineMs: 0,
      releaseOnFailure: o.release ?? false,
      fromUri: refer ? '' : 'sip:A@127.0.0.1',
      timeoutMs: o.timeoutMs ?? (refer ? 60_000 : 30_000),
      idempotencyKey: o.key ?? 'k-xfer',
    },
  };
};

/** The target's leg T, dialled for transfer `transferId`. */
export const targetDialled = (transferId = 'X1', from = 'sip:A@127.0.0.1', referredBy = ''): CallEvent => ({
  type: 'DialRequested',
  data: {
    ...base,
    legId: transferId === 'X1' ? 'T' : `${transferId}-target`,
    bridgeWithLegId: '',
    toUri: TARGET,
    fromUri: from,
    ringTimeoutMs: 30_000,
    idempotencyKey: '',
    headers: referredBy ? { 'Referred-By': referredBy } : {},
    transferId,
  },
});

export const transferProgress = (sipStatus: number, reason: string, transferId = 'X1'): CallEvent => ({
  type: 'TransferProgress',
  data: { ...base, transferId, sipStatus, reason },
});

export const transferCompleted = (targetLegId = 'T', transferId = 'X1'): CallEvent => ({
  type: 'TransferCompleted',
  data: { ...base, transferId, transfereeLegId: 'A', targetLegId },
});

export const transferFailed = (
  cause: callEvents.TransferFailureCause,
  sipStatus = 0,
  reason = '',
  transfereeReleased = false,
  transferId = 'X1',
): CallEvent => ({
  type: 'TransferFailed',
  data: { ...base, transferId, cause, sipStatus, reason, transfereeReleased },
});

export const continueTransfer = (abort?: string, transferId = 'X1'): CallCommand => ({
  type: 'ContinueTransfer',
  data: { transferId, ...(abort !== undefined ? { abort } : {}) },
  metadata: meta('BR2'),
});

export const recordReferReceived = (
  policy: ReferPolicy = PERFORM,
  o: Partial<{ leg: string; replacesLegId: string; replacesCallId: string; referredBy: string }> = {},
): CallCommand => ({
  type: 'RecordReferReceived',
  data: {
    legId: o.leg ?? 'B',
    referId: '7',
    referTo: TARGET,
    referredBy: o.referredBy ?? '<sip:B@127.0.0.1>',
    replacesCallId: o.replacesCallId ?? '',
    replacesLegId: o.replacesLegId ?? '',
    policy,
  },
  metadata: meta('R1'),
});

/** The transfer a phone's REFER on B (refer id 7) records. */
export const referRequested = (
  policy: ReferPolicy = PERFORM,
  o: Partial<{ transferee: string; replacesLegId: string; replacesCallId: string }> = {},
): CallEvent => ({
  type: 'TransferRequested',
  data: {
    ...base,
    transferId: 'R1',
    kind: o.replacesLegId ? TransferKind.TRANSFER_KIND_ATTENDED : TransferKind.TRANSFER_KIND_BLIND,
    mode: TransferMode.TRANSFER_MODE_BRIDGE,
    by: Initiator.INITIATOR_REMOTE,
    transfereeLegId: o.transferee ?? 'A',
    transferorLegId: 'B',
    targetUri: TARGET,
    targetLegId: o.replacesLegId ? '' : 'R1-target',
    referredBy: '<sip:B@127.0.0.1>',
    replacesCallId: o.replacesCallId ?? '',
    replacesLegId: o.replacesLegId ?? '',
    awaitingDecision: policy.ask && !o.replacesLegId,
    decisionDeadlineMs: policy.ask && !o.replacesLegId ? policy.decisionTimeoutMs : 0,
    releaseOnFailure: false,
    fromUri: o.transferee === '' ? '' : 'sip:A@127.0.0.1',
    timeoutMs: 30_000,
    idempotencyKey: 'refer|B|7',
  },
});

export const decideTransfer = (accept: boolean, sipStatus = 0, byDeadline = false): CallCommand => ({
  type: 'DecideTransfer',
  data: { transferId: 'R1', accept, sipStatus, ...(byDeadline ? { byDeadline } : {}) },
  metadata: meta(),
});

export const recordReferProgress = (sipStatus: number, final: boolean, reason = ''): CallCommand => ({
  type: 'RecordReferProgress',
  data: { transferId: 'X1', sipStatus, reason, final },
  metadata: meta(),
});

/** A and B answered and bridged (BR1). */
export const bridgedAB = (): CallEvent[] => [...bothAnswered(), legsBridged('A', 'B')];
/** BRIDGE transfer X1 of A: its target T dialled (INVITE sent). */
export const transferDialling = (o: TransferOptions = {}): CallEvent[] => [
  ...bridgedAB(),
  transferRequested(o),
  targetDialled(),
];

/** StartConsultation of A (bridged with B in BR1) to the target on leg C: transfer X1, music MUSIC_URI. */
export const MUSIC_URI = 'tone:440:1000';
export const startConsultation = (o: Partial<{ key: string; leg: string }> = {}): CallCommand => ({
  type: 'StartConsultation',
  data: {
    heldLegId: o.leg ?? 'A',
    targetUri: TARGET,
    fromUri: '',
    ringTimeoutMs: 0,
    musicUri: MUSIC_URI,
    consultationLegId: 'C',
  },
  metadata: meta('X1', 'key' in o ? o.key : 'k-consult'),
});

export const consultRequested = (): CallEvent => ({
  type: 'TransferRequested',
  data: {
    ...(transferRequested({ key: 'k-consult' }).data as callEvents.TransferRequested),
    kind: TransferKind.TRANSFER_KIND_ATTENDED,
    targetLegId: 'C',
    fromUri: 'sip:app@127.0.0.1',
  },
});

/** A bridge taken apart by a transfer step (reason TRANSFER or CONSULTATION). */
export const bridgeTakenApart = (
  reason: callEvents.BridgeEndReason,
  bridgeId = 'BR1',
  transferId = 'X1',
): CallEvent => ({
  type: 'BridgeEnded',
  data: { ...base, bridgeId, endedLegId: '', reason, transferId },
});

export const consultHeld = (): CallEvent => ({
  type: 'LegHeld',
  data: {
    ...base,
    legId: 'A',
    by: Initiator.INITIATOR_API,
    musicUri: MUSIC_URI,
    musicToPeer: false,
    direction: '',
    idempotencyKey: '',
    transferId: 'X1',
  },
});

export const consultDialled = (): CallEvent => ({
  type: 'DialRequested',
  data: { ...(targetDialled().data as callEvents.DialRequested), legId: 'C', fromUri: 'sip:app@127.0.0.1' },
});

export const consultationStarted = (): CallEvent => ({
  type: 'ConsultationStarted',
  data: { ...base, transferId: 'X1', heldLegId: 'A', transferorLegId: 'B', consultationLegId: 'C' },
});

export const consultationEnded = (outcome: callEvents.ConsultationOutcome): CallEvent => ({
  type: 'ConsultationEnded',
  data: { ...base, transferId: 'X1', outcome },
});

export const completeTransfer = (): CallCommand => ({
  type: 'CompleteTransfer',
  data: { transferId: 'X1' },
  metadata: meta('BR3'),
});
export const cancelConsultation = (): CallCommand => ({
  type: 'CancelConsultation',
  data: { transferId: 'X1' },
  metadata: meta('BR3'),
});

/** A consulting B about C: A held (apart from B), C dialled. */
export const consultationDialling = (): CallEvent[] => [
  ...bridgedAB(),
  consultRequested(),
  bridgeTakenApart(callEvents.BridgeEndReason.BRIDGE_END_REASON_CONSULTATION),
  consultHeld(),
  consultDialled(),
];
