import { callEvents } from '@callctl/proto';
import { IllegalStateError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';

const { EndCause, TransferFailureCause } = b;
const { BridgeEndReason, ConsultationOutcome } = callEvents;
const resumed = () => b.legResumed('A', b.Initiator.INITIATOR_API, 'X1');
const consultAnswered = () => [
  ...b.consultationDialling(),
  b.legInitiated('C'),
  b.legAnswered('C'),
  b.transferProgress(200, 'OK'),
];
const consulting = () => [...consultAnswered(), b.legsBridged('B', 'C', 'BR2', ''), b.consultationStarted()];
const hungUp = (legId: string) =>
  b.legEnded(legId, EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'consultation X1 ended');

describe('StartConsultation', () => {
  it('takes A out of its bridge (CONSULTATION), holds it with the music and dials the target', () =>
    given(...b.bridgedAB())
      .when(b.startConsultation())
      .thenResult(
        'X1',
        b.consultRequested(),
        b.bridgeTakenApart(BridgeEndReason.BRIDGE_END_REASON_CONSULTATION),
        b.consultHeld(),
        b.consultDialled(),
      ));
  it('answers a retry of its key with the same transfer', () =>
    given(...b.consultationDialling())
      .when(b.startConsultation())
      .thenResult('X1', ...[]));
  it('refuses a leg bridged with nobody, or one in a transfer already', () => {
    given(...b.bothAnswered())
      .when(b.startConsultation())
      .thenThrows(IllegalStateError, /nobody/);
    given(...b.transferDialling())
      .when(b.startConsultation())
      .thenThrows(IllegalStateError, /runs already/);
  });
});

describe('a consultation', () => {
  it('bridges the transferor with the target once it answered (ContinueTransfer)', () =>
    given(...consultAnswered())
      .when(b.continueTransfer())
      .then(b.legsBridged('B', 'C', 'BR2', ''), b.consultationStarted()));
  it('CompleteTransfer: releases B, resumes A and bridges it with the target', () =>
    given(...consulting())
      .when(b.completeTransfer())
      .then(
        b.bridgeTakenApart(BridgeEndReason.BRIDGE_END_REASON_TRANSFER, 'BR2'),
        b.legEnded('B', EndCause.END_CAUSE_TRANSFERRED, 0, 'transferred (X1)'),
        resumed(),
        b.legsBridged('A', 'C', 'BR3', ''),
        b.transferCompleted('C'),
        b.consultationEnded(ConsultationOutcome.CONSULTATION_OUTCOME_TRANSFERRED),
      ));
  it('CompleteTransfer before the target answered, or twice: FAILED_PRECONDITION', () => {
    given(...b.consultationDialling())
      .when(b.completeTransfer())
      .thenThrows(IllegalStateError);
    given(...b.bridgedAB())
      .when(b.completeTransfer())
      .thenThrows(Error);
  });
  it('CancelConsultation: the target hung up, A resumed and bridged with B again', () =>
    given(...consulting())
      .when(b.cancelConsultation())
      .then(
        b.transferFailed(TransferFailureCause.TRANSFER_FAILURE_CAUSE_CANCELLED, 0, 'consultation cancelled'),
        b.bridgeEnded('C', 'BR2'),
        hungUp('C'),
        resumed(),
        b.legsBridged('A', 'B', 'BR3', ''),
        b.consultationEnded(ConsultationOutcome.CONSULTATION_OUTCOME_CANCELLED),
      ));
  it('the target failing fails it; the process manager then takes A back to B (TARGET_FAILED)', () => {
    given(...b.consultationDialling(), b.legInitiated('C'))
      .when(b.recordLegEnded('C', EndCause.END_CAUSE_BUSY, 486))
      .then(
        b.transferFailed(
          TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_BUSY,
          486,
          "the target's leg ended",
        ),
        b.legEnded('C', EndCause.END_CAUSE_BUSY, 486),
      );
    given(
      ...b.consultationDialling(),
      b.legInitiated('C'),
      b.transferFailed(TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_BUSY, 486),
      b.legEnded('C', EndCause.END_CAUSE_BUSY, 486),
    )
      .when(b.continueTransfer())
      .then(
        resumed(),
        { ...b.legsBridged('A', 'B', 'BR2', '') },
        b.consultationEnded(ConsultationOutcome.CONSULTATION_OUTCOME_TARGET_FAILED),
      );
  });
  it('the held party hanging up leaves the transferor with the target (PARTY_ENDED)', () =>
    given(
      ...consulting(),
      b.transferFailed(TransferFailureCause.TRANSFER_FAILURE_CAUSE_PARTY_ENDED),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.continueTransfer())
      .then(b.consultationEnded(ConsultationOutcome.CONSULTATION_OUTCOME_PARTY_ENDED)));
  it('records the media sip-edge moved the legs to (the bridge ended with their new parties)', () =>
    given(...b.bridgedAB())
      .when({
        type: 'RecordLegsUnbridged',
        data: {
          legAId: 'A',
          legBId: 'B',
          mediaA: { sessionId: 'SA', tag: 'A' },
          mediaB: { sessionId: 'SB', tag: 'B' },
        },
        metadata: b.meta(),
      })
      .thenState((s) =>
        expect(
          s.status === 'active' && [
            s.legs.A?.media,
            s.legs.B?.media,
            s.legs.A?.status === 'answered' && s.legs.A.bridgeId,
          ],
        ).toEqual([{ sessionId: 'SA', tag: 'A' }, { sessionId: 'SB', tag: 'B' }, undefined]),
      ));
});
