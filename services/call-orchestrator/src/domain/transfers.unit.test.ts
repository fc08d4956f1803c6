import { callEvents } from '@callctl/proto';
import { IllegalStateError, NotFoundError, ValidationError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
import { failureCauseOf } from './capabilities/transfers/transfers.decide';

const { EndCause, TransferFailureCause, TransferMode } = b;
const { BridgeEndReason } = callEvents;
const transferred = (legId: string, transferId = 'X1') =>
  b.legEnded(legId, EndCause.END_CAUSE_TRANSFERRED, 0, `transferred (${transferId})`);
const bridgeMoved = (transferId = 'X1', bridgeId = 'BR1'): ReturnType<typeof b.bridgeEnded> => ({
  type: 'BridgeEnded',
  data: {
    ...b.base,
    bridgeId,
    endedLegId: '',
    reason: BridgeEndReason.BRIDGE_END_REASON_TRANSFER,
    transferId,
  },
});
const targetAnswered = () => [
  ...b.transferDialling(),
  b.legInitiated('T'),
  b.legAnswered('T'),
  b.transferProgress(200, 'OK'),
];
const newBridge = (a: string, t: string) => b.legsBridged(a, t, 'BR2', '');

describe('TransferLeg (BRIDGE)', () => {
  it('records the transfer and dials the target on its own leg, with its ring timeout', () => {
    given(...b.bridgedAB())
      .when(b.transferLeg())
      .thenResult('X1', b.transferRequested(), b.targetDialled());
    given(...b.bridgedAB())
      .when(b.transferLeg())
      .thenDeadlines({ kind: 'ringTimeout', legId: 'T', atMs: 31_000 });
  });
  it('turns a number into a URI at the host of the leg’s platform side', () =>
    given(...b.bridgedAB())
      .when(b.transferLeg({ target: '+4930123' }))
      .thenState((s) =>
        expect(s.status === 'active' && s.transfers.X1?.targetUri).toBe('sip:+4930123@127.0.0.1'),
      ));
  it('answers a retry with the same key with the same transfer, recording nothing', () =>
    given(...b.transferDialling())
      .when(b.transferLeg())
      .thenResult('X1', ...[]));
  it('refuses what the contract refuses', () => {
    given(...b.bridgedAB())
      .when(b.transferLeg({ leg: 'Z' }))
      .thenThrows(NotFoundError);
    given(...b.outboundRinging())
      .when(b.transferLeg())
      .thenThrows(IllegalStateError, /answered/);
    given(...b.bridgedAB())
      .when(b.transferLeg({ target: 'mailto:x@y' }))
      .thenThrows(ValidationError);
    given(...b.bridgedAB())
      .when(b.transferLeg({ key: undefined }))
      .thenThrows(ValidationError);
    given(...b.transferDialling())
      .when(b.transferLeg({ key: 'other' }))
      .thenThrows(IllegalStateError, /runs already/);
    given(...b.monitoredCall())
      .when(b.transferLeg({ leg: 'S1' }))
      .thenThrows(IllegalStateError, /party/);
  });
});

describe('a BRIDGE transfer while its target is dialled', () => {
  it('reports the target ringing as progress 180, once', () => {
    given(...b.transferDialling(), b.legInitiated('T'))
      .when(b.recordLegRinging('T'))
      .then(b.legRinging('T'), b.transferProgress(180, 'Ringing'));
    given(...b.transferDialling(), b.legInitiated('T'), b.legRinging('T'), b.transferProgress(180, 'Ringing'))
      .when(b.recordLegRinging('T', true))
      .then(b.legRinging('T', true));
  });
  it('reports the target’s answer as progress 200 and does not bridge it by itself', () =>
    given(...b.transferDialling(), b.legInitiated('T'))
      .when(b.recordLegAnswered('T'))
      .then(b.legAnswered('T'), b.transferProgress(200, 'OK')));
  it('fails when the target fails, with the cause of its end, and leaves A with B', () => {
    given(...b.transferDialling(), b.legInitiated('T'))
      .when(b.recordLegEnded('T', EndCause.END_CAUSE_BUSY, 486, 'Busy Here'))
      .then(
        b.transferFailed(
          TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_BUSY,
          486,
          "the target's leg ended",
        ),
        b.legEnded('T', EndCause.END_CAUSE_BUSY, 486, 'Busy Here'),
      );
    given(...b.transferDialling(), b.legInitiated('T'))
      .when(b.recordLegEnded('T', EndCause.END_CAUSE_BUSY, 486))
      .thenState((s) =>
        expect(s.status === 'active' && s.legs.A?.status === 'answered' && s.legs.A.bridgeId).toBe('BR1'),
      );
  });
  it('with release_on_failure, says the transferee is released (the process manager hangs it up)', () => {
    given(...b.transferDialling({ release: true }), b.legInitiated('T'))
      .when(b.recordLegEnded('T', EndCause.END_CAUSE_NO_ANSWER, 0))
      .then(
        b.transferFailed(
          TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_NO_ANSWER,
          0,
          "the target's leg ended",
          true,
        ),
        b.legEnded('T', EndCause.END_CAUSE_NO_ANSWER, 0),
      );
    given(
      ...b.transferDialling({ release: true }),
      b.transferFailed(TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_NO_ANSWER, 0, '', true),
      b.legEnded('T', EndCause.END_CAUSE_NO_ANSWER),
    )
      .when(b.continueTransfer())
      .then(b.bridgeEnded('A'), b.legEnded('A', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'transfer X1 failed'));
  });
  it('fails when the transferee hangs up (PARTY_ENDED); the target is hung up next', () => {
    given(...b.transferDialling(), b.legInitiated('T'))
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(
        b.bridgeEnded('A'),
        b.transferFailed(TransferFailureCause.TRANSFER_FAILURE_CAUSE_PARTY_ENDED, 0, 'the transferee ended'),
        b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      );
    given(
      ...b.transferDialling(),
      b.legInitiated('T'),
      b.transferFailed(TransferFailureCause.TRANSFER_FAILURE_CAUSE_PARTY_ENDED),
    )
      .when(b.continueTransfer())
      .then(b.legEnded('T', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'transfer X1 failed'));
  });
  it('goes on when the transferor hangs up: the transferee goes to the target all the same', () =>
    given(...b.transferDialling(), b.legInitiated('T'))
      .when(b.recordLegEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(b.bridgeEnded('B'), b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP)));
});

describe('ContinueTransfer once the target answered', () => {
  it('ends the bridge (TRANSFER), releases the transferor (TRANSFERRED), bridges A with T and completes', () =>
    given(...targetAnswered())
      .when(b.continueTransfer())
      .then(bridgeMoved(), transferred('B'), newBridge('A', 'T'), b.transferCompleted()));
  it('only bridges when the transferor already left', () =>
    given(...targetAnswered(), b.bridgeEnded('B'), b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .when(b.continueTransfer())
      .then(newBridge('A', 'T'), b.transferCompleted()));
  it('does nothing once completed, nor before the target answered', () => {
    given(...targetAnswered(), bridgeMoved(), transferred('B'), newBridge('A', 'T'), b.transferCompleted())
      .when(b.continueTransfer())
      .thenNothing();
    given(...b.transferDialling())
      .when(b.continueTransfer())
      .thenNothing();
  });
  it('aborted (a step failed on the wire): PLATFORM_FAILURE, the target hung up, A back with B', () =>
    given(...targetAnswered())
      .when(b.continueTransfer('bridge refused'))
      .then(
        b.transferFailed(TransferFailureCause.TRANSFER_FAILURE_CAUSE_PLATFORM_FAILURE, 0, 'bridge refused'),
        b.legEnded('T', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'transfer X1 failed'),
      ));
  it('aborted after the transferor was released: the transferee is released too (nothing to go back to)', () =>
    given(...targetAnswered(), bridgeMoved(), transferred('B'))
      .when(b.continueTransfer('bridge refused'))
      .then(
        b.transferFailed(
          TransferFailureCause.TRANSFER_FAILURE_CAUSE_PLATFORM_FAILURE,
          0,
          'bridge refused',
          true,
        ),
        b.legEnded('T', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'transfer X1 failed'),
        b.legEnded('A', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'transfer X1 failed'),
        b.callEnded(EndCause.END_CAUSE_LOCAL_HANGUP),
      ));
});

describe('TransferLeg (REFER)', () => {
  const refer = { mode: TransferMode.TRANSFER_MODE_REFER };
  it('records the transfer only: the REFER is sent after the append', () =>
    given(...b.bridgedAB())
      .when(b.transferLeg(refer))
      .thenResult('X1', b.transferRequested(refer)));
  it('arms its backstop past the REFER timeout (60 s by default) plus 10 s', () =>
    given(...b.bridgedAB())
      .when(b.transferLeg(refer))
      .thenDeadlines({ kind: 'referOutcome', transferId: 'X1', atMs: 1_000 + 60_000 + 10_000 }));
  it('records NOTIFY progress once per status', () => {
    given(...b.bridgedAB(), b.transferRequested(refer))
      .when(b.recordReferProgress(100, false, 'Trying'))
      .then(b.transferProgress(100, 'Trying'));
    given(...b.bridgedAB(), b.transferRequested(refer), b.transferProgress(100, 'Trying'))
      .when(b.recordReferProgress(100, false))
      .thenNothing();
  });
  it('completes on a final 2xx and releases the transferee and its peer (TRANSFERRED)', () =>
    given(...b.bridgedAB(), b.transferRequested(refer), b.transferProgress(100, 'Trying'))
      .when(b.recordReferProgress(200, true, 'OK'))
      .then(
        b.transferProgress(200, 'OK'),
        b.transferCompleted(''),
        bridgeMoved(),
        transferred('A'),
        transferred('B'),
        b.callEnded(EndCause.END_CAUSE_TRANSFERRED),
      ));
  it('fails on a final failure: the target’s cause after a NOTIFY, REFER_REJECTED before any', () => {
    given(...b.bridgedAB(), b.transferRequested(refer), b.transferProgress(100, 'Trying'))
      .when(b.recordReferProgress(486, true, 'Busy Here'))
      .then(b.transferFailed(TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_BUSY, 486, 'Busy Here'));
    given(...b.bridgedAB(), b.transferRequested(refer))
      .when(b.recordReferProgress(603, true, 'Decline'))
      .then(b.transferFailed(TransferFailureCause.TRANSFER_FAILURE_CAUSE_REFER_REJECTED, 603, 'Decline'));
  });
  it('ignores progress of a transfer that ended or is unknown', () => {
    given(
      ...b.bridgedAB(),
      b.transferRequested(refer),
      b.transferFailed(TransferFailureCause.TRANSFER_FAILURE_CAUSE_REFER_REJECTED),
    )
      .when(b.recordReferProgress(200, true))
      .thenNothing();
    given(...b.bridgedAB())
      .when(b.recordReferProgress(200, true))
      .thenNothing();
  });
});

describe("a phone's REFER", () => {
  const dialled = () => b.targetDialled('R1', 'sip:A@127.0.0.1', '<sip:B@127.0.0.1>');
  it('perform: records the transfer of B’s peer and dials the target with Referred-By', () =>
    given(...b.bridgedAB())
      .when(b.recordReferReceived())
      .thenResult('R1', b.referRequested(), dialled()));
  it('is recorded once (the fact again changes nothing)', () =>
    given(...b.bridgedAB(), b.referRequested(), dialled())
      .when(b.recordReferReceived())
      .thenNothing());
  it('ask: waits for the decision, with its deadline', () => {
    given(...b.bridgedAB())
      .when(b.recordReferReceived(b.ASK))
      .then(b.referRequested(b.ASK));
    given(...b.bridgedAB())
      .when(b.recordReferReceived(b.ASK))
      .thenDeadlines({ kind: 'transferDecision', transferId: 'R1', atMs: 11_000 });
  });
  it('DecideTransfer: accept dials the target; decline fails it (DECLINED, the status)', () => {
    given(...b.bridgedAB(), b.referRequested(b.ASK))
      .when(b.decideTransfer(true))
      .then(dialled());
    given(...b.bridgedAB(), b.referRequested(b.ASK))
      .when(b.decideTransfer(false, 486))
      .then(
        b.transferFailed(TransferFailureCause.TRANSFER_FAILURE_CAUSE_DECLINED, 486, 'declined', false, 'R1'),
      );
    given(...b.bridgedAB(), b.referRequested(b.ASK))
      .when(b.decideTransfer(false, 200))
      .thenThrows(ValidationError);
  });
  it('DecideTransfer when nothing waits: FAILED_PRECONDITION; its deadline then decides nothing', () => {
    given(...b.bridgedAB(), b.referRequested(b.ASK), dialled())
      .when(b.decideTransfer(true))
      .thenThrows(IllegalStateError);
    given(...b.bridgedAB(), b.referRequested(b.ASK), dialled())
      .when(b.decideTransfer(true, 0, true))
      .thenNothing();
    given(...b.bridgedAB())
      .when(b.decideTransfer(true))
      .thenThrows(NotFoundError);
  });
  it('declines (403) a REFER from a leg bridged with nobody, and (501) one with Replaces in the same call', () => {
    given(...b.bothAnswered())
      .when(b.recordReferReceived())
      .then(
        b.referRequested(b.PERFORM, { transferee: '' }),
        b.transferFailed(
          TransferFailureCause.TRANSFER_FAILURE_CAUSE_DECLINED,
          403,
          'leg B is bridged with no party to transfer',
          false,
          'R1',
        ),
      );
    given(...b.bridgedAB())
      .when(b.recordReferReceived(b.PERFORM, { replacesLegId: 'Q' }))
      .then(
        b.referRequested(b.PERFORM, { replacesLegId: 'Q' }),
        b.transferFailed(
          TransferFailureCause.TRANSFER_FAILURE_CAUSE_DECLINED,
          501,
          'REFER with Replaces naming a leg of the same call is not carried out',
          false,
          'R1',
        ),
      );
  });
  it('records a REFER with Replaces naming a leg of another call, without dialling or asking (replaces.decide.ts)', () => {
    const other = { replacesLegId: 'Q', replacesCallId: 'other-call' };
    given(...b.bridgedAB())
      .when(b.recordReferReceived(b.ASK, other))
      .then(b.referRequested(b.ASK, other));
  });
});

describe('failureCauseOf', () => {
  it.each([
    [EndCause.END_CAUSE_BUSY, 0, TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_BUSY],
    [EndCause.END_CAUSE_REJECTED, 600, TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_BUSY],
    [EndCause.END_CAUSE_NO_ANSWER, 0, TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_NO_ANSWER],
    [EndCause.END_CAUSE_REJECTED, 480, TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_NO_ANSWER],
    [EndCause.END_CAUSE_REJECTED, 404, TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_UNREACHABLE],
    [EndCause.END_CAUSE_UNREACHABLE, 0, TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_UNREACHABLE],
    [EndCause.END_CAUSE_REJECTED, 603, TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_REJECTED],
    [EndCause.END_CAUSE_NO_ROUTE, 404, TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_UNREACHABLE],
    [EndCause.END_CAUSE_NOT_REGISTERED, 480, TransferFailureCause.TRANSFER_FAILURE_CAUSE_TARGET_UNREACHABLE],
  ])('cause %s, status %s: %s', (cause, sipStatus, expected) =>
    expect(failureCauseOf({ cause, sipStatus })).toBe(expected),
  );
});

describe('a held transferee', () => {
  it('is resumed before it is bridged with the target (BRIDGE)', () =>
    given(
      ...b.bridgedAB(),
      b.legHeld('A'),
      b.transferRequested(),
      b.targetDialled(),
      b.legInitiated('T'),
      b.legAnswered('T'),
      b.transferProgress(200, 'OK'),
    )
      .when(b.continueTransfer())
      .then(
        bridgeMoved(),
        transferred('B'),
        b.legResumed('A', b.Initiator.INITIATOR_API, 'X1'),
        newBridge('A', 'T'),
        b.transferCompleted(),
      ));
});
