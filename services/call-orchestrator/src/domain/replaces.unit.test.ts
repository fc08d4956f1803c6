// A phone's REFER with Replaces (capabilities/transfers/replaces.decide.ts): in the replaced call, the
// replaced leg's peer moves out and the replaced leg ends (REPLACED); in the REFER's call, the leg arrives
// as the transfer's target, or is hung up when the transfer ended meanwhile. Both idempotent.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from './call.commands';
import { decide } from './call.decide';
import type { CallEvent } from './call.events';
import { foldEvents } from './call.state';
import { IllegalStateError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';

const { BridgeEndReason, EndCause, TransferFailureCause } = callEvents;
const meta = { now: 1_000, newId: 'n-1' };
const moveOut = (legId = 'B'): CallCommand => ({
  type: 'MoveLegOut',
  data: { legId, toCallId: 'C0', transferId: 'R9' },
  metadata: meta,
});

describe('MoveLegOut (the replaced call)', () => {
  it('ends the bridge (TRANSFER), moves the peer out with all it was, ends the replaced leg and the call', () => {
    const events = decide(moveOut(), foldEvents(b.bridgedAB())).events;
    expect(events.map((e) => e.type)).toEqual(['BridgeEnded', 'LegMovedOut', 'LegEnded', 'CallEnded']);
    expect(events[0]!.data).toMatchObject({
      reason: BridgeEndReason.BRIDGE_END_REASON_TRANSFER,
      transferId: 'R9',
    });
    expect(events[1]!.data).toMatchObject({
      legId: 'A',
      toCallId: 'C0',
      transferId: 'R9',
      fromUri: 'sip:app@127.0.0.1',
    });
    expect(events[2]!.data).toMatchObject({ legId: 'B', cause: EndCause.END_CAUSE_REPLACED });
    const after = foldEvents(events, foldEvents(b.bridgedAB()));
    expect(after.status).toBe('ended');
    if (after.status === 'none') return;
    expect(after.legs['A']).toBeUndefined();
    expect(after.movedOut['R9']).toMatchObject({ legId: 'A' });
  });

  it('does nothing again once moved (even in the ended call): the re-drive reads the move off the state', () => {
    const moved = decide(moveOut(), foldEvents(b.bridgedAB())).events;
    given(...b.bridgedAB(), ...moved)
      .when(moveOut())
      .thenNothing();
  });

  it('refuses a replaced leg bridged with nobody', () => {
    given(...b.bothAnswered())
      .when(moveOut())
      .thenThrows(IllegalStateError, /not bridged/);
  });
});

describe('RecordLegMovedIn (the REFER’s call)', () => {
  /** Call C1: A bridged with B, B's REFER (refer id 7) replacing leg Q of call C2 (transfer R1). */
  const requested = (): CallEvent[] => [
    ...b.bridgedAB(),
    b.referRequested(b.PERFORM, { replacesLegId: 'Q', replacesCallId: 'C2' }),
  ];
  const moved: callEvents.LegMovedOut = {
    callId: 'C2',
    legId: 'X2',
    toCallId: b.CALL,
    transferId: 'R1',
    direction: callEvents.LegDirection.LEG_DIRECTION_OUTBOUND,
    fromUri: 'sip:p@127.0.0.1',
    toUri: 'sip:x2@127.0.0.1',
    sipCallId: 'sip-x2',
    media: { sessionId: 'C2/bridge/1', tag: 'X2' },
    clientState: '',
  };
  const moveIn: CallCommand = { type: 'RecordLegMovedIn', data: { moved }, metadata: meta };

  it('records the leg answered, as the transfer’s target (TransferProgress 200: the legs are moved next)', () => {
    const state = foldEvents(requested());
    const events = decide(moveIn, state).events;
    expect(events.map((e) => e.type)).toEqual(['LegMovedIn', 'TransferProgress']);
    const after = foldEvents(events, state);
    if (after.status !== 'active') throw new Error('call ended');
    expect(after.legs['X2']).toMatchObject({ status: 'answered', media: moved.media, sipCallId: 'sip-x2' });
    expect(after.transfers['R1']).toMatchObject({ status: 'connecting', targetLegId: 'X2' });
    given(...requested(), ...events)
      .when(moveIn)
      .thenNothing();
  });

  it('hangs up a leg that arrives for a transfer that ended meanwhile', () => {
    const failed = b.transferFailed(
      TransferFailureCause.TRANSFER_FAILURE_CAUSE_PARTY_ENDED,
      0,
      'x',
      false,
      'R1',
    );
    const events = decide(moveIn, foldEvents([...requested(), failed])).events;
    expect(events.map((e) => e.type)).toEqual(['LegMovedIn', 'LegEnded']);
    expect(events[1]!.data).toMatchObject({ legId: 'X2', cause: EndCause.END_CAUSE_LOCAL_HANGUP });
  });
});
