import { callEvents } from '@callctl/proto';
import { IllegalStateError, NotFoundError, ValidationError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
import { hearingOf, membersOf } from './capabilities/monitors/hearing';
import { foldEvents } from './call.state';

const { EndCause, ParticipantMode, ParticipantRemovedReason: Reason, MonitorMode } = b;
const LISTEN = ParticipantMode.PARTICIPANT_MODE_LISTEN;
const hangupL1 = (why: string) => b.legEnded('L1', EndCause.END_CAUSE_LOCAL_HANGUP, 0, why);
const dialling = () => [...b.bothAnswered(), b.participantDialled(), b.legInitiated('L1')];

describe('AddParticipant', () => {
  it('on a connected call, dials the participant (role PARTICIPANT, FULL by default) with its ring timeout', () => {
    given(...b.bothAnswered())
      .when(b.addParticipant())
      .thenResult('P1', b.participantDialled());
    given(...b.bothAnswered())
      .when(b.addParticipant())
      .thenDeadlines({ kind: 'ringTimeout', legId: 'L1', atMs: 31_000 });
    given(...b.bothAnswered())
      .when(b.addParticipant({ mode: LISTEN }))
      .thenResult('P1', b.participantDialled({ mode: LISTEN }));
  });
  it('needs only one answered party (a caller alone may get a third party too)', () =>
    given(...b.answeredA())
      .when(b.addParticipant())
      .thenResult('P1', b.participantDialled()));
  it('turns a number into a SIP URI at the host of the From', () =>
    given(...b.bothAnswered())
      .when(b.addParticipant({ target: '+4930123' }))
      .then(b.participantDialled({ uri: 'sip:+4930123@127.0.0.1' })));
  it('answers a retry with the same key with the same participant, recording nothing', () => {
    given(...b.bothAnswered(), b.participantDialled())
      .when(b.addParticipant({ id: 'P9' }))
      .thenResult('P1');
    // Also after the parties left: the retry is answered before the checks of the moment.
    given(...dialling(), b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .when(b.addParticipant({ id: 'P9' }))
      .thenResult('P1');
  });
  it('refuses the same key for another request, and what the contract refuses', () => {
    given(...b.bothAnswered(), b.participantDialled())
      .when(b.addParticipant({ id: 'P9', mode: LISTEN }))
      .thenThrows(Error, /different request/);
    given().when(b.addParticipant()).thenThrows(NotFoundError);
    given(...b.outboundRinging())
      .when(b.addParticipant())
      .thenThrows(IllegalStateError, /no answered party/);
    given(
      ...b.answeredA(),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.addParticipant())
      .thenThrows(IllegalStateError);
    given(...b.bothAnswered())
      .when(b.addParticipant({ target: 'tel:123' }))
      .thenThrows(ValidationError, /target/);
    given(...b.bothAnswered())
      .when(b.addParticipant({ key: undefined }))
      .thenThrows(ValidationError, /idempotency/);
    given(...b.bothAnswered())
      .when(b.addParticipant({ mode: 7 as never }))
      .thenThrows(ValidationError, /participant mode/);
  });
  it('does not count a participant as an answered party', () =>
    given(
      ...b.answeredA(),
      b.participantDialled(),
      b.legInitiated('L1'),
      b.legAnswered('L1'),
      b.participantAdded(),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.addParticipant({ id: 'P2', key: 'k2' }))
      .thenThrows(IllegalStateError));
});

describe('the participant leg', () => {
  it('adds the participant when it answers, with its mode and target', () => {
    given(...dialling())
      .when(b.recordLegAnswered('L1'))
      .then(b.legAnswered('L1'), b.participantAdded());
    given(...b.bothAnswered(), b.participantDialled({ mode: LISTEN }), b.legInitiated('L1'))
      .when(b.recordLegAnswered('L1'))
      .then(b.legAnswered('L1'), b.participantAdded({ mode: LISTEN }));
  });
  it('carries its role and participant into LegInitiated and the state', () =>
    given(...b.bothAnswered(), b.participantDialled())
      .when(b.recordLegInitiated('L1'))
      .thenState((s) => {
        if (s.status === 'none') throw new Error('no call');
        expect(s.legs.L1).toMatchObject({
          role: callEvents.LegRole.LEG_ROLE_PARTICIPANT,
          participantId: 'P1',
        });
        expect(s.participants.P1).toMatchObject({
          status: 'dialling',
          legId: 'L1',
          mode: ParticipantMode.PARTICIPANT_MODE_FULL,
        });
      }));
  it('removes the participant when it hangs up (HANGUP); the call goes on', () =>
    given(...b.threeWayCall())
      .when(b.recordLegEnded('L1', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(
        b.participantRemoved(Reason.PARTICIPANT_REMOVED_REASON_HANGUP),
        b.legEnded('L1', EndCause.END_CAUSE_REMOTE_HANGUP),
      ));
  it('removes it as FAILED, with the SIP status, when it never answered', () =>
    given(...dialling())
      .when(b.recordLegEnded('L1', EndCause.END_CAUSE_BUSY, 486))
      .then(
        b.participantRemoved(Reason.PARTICIPANT_REMOVED_REASON_FAILED, 486),
        b.legEnded('L1', EndCause.END_CAUSE_BUSY, 486),
      ));
  it('a Hangup of its leg removes it as REMOVED', () =>
    given(...b.threeWayCall())
      .when(b.hangup('L1'))
      .thenState((s) => {
        if (s.status !== 'active') throw new Error('the call must go on');
        expect(s.participants.P1).toMatchObject({
          status: 'removed',
          reason: Reason.PARTICIPANT_REMOVED_REASON_REMOVED,
        });
      }));
  it('is never bridged, nor dialled to be bridged with, nor recorded with the conversation', () => {
    given(...b.threeWayCall())
      .when(b.bridgeLegs('A', 'L1'))
      .thenThrows(IllegalStateError, /participant/);
    given(...b.threeWayCall())
      .when(b.dial('L1', 'C9'))
      .thenThrows(IllegalStateError, /participant/);
    given(...b.threeWayCall())
      .when(b.startRecording({}, 'R1', 'k-rec'))
      .thenState((s) => {
        if (s.status === 'none') throw new Error('no call');
        expect(Object.values(s.recordings)[0]?.legIds).toEqual(['A', 'B']);
      });
  });
});

describe('RemoveParticipant', () => {
  it('removes the participant (REMOVED) and hangs its leg up; the call goes on; a second remove is OK', () => {
    given(...b.threeWayCall())
      .when(b.removeParticipant())
      .then(b.participantRemoved(Reason.PARTICIPANT_REMOVED_REASON_REMOVED), hangupL1('participant removed'));
    given(...b.threeWayCall(), b.participantRemoved(Reason.PARTICIPANT_REMOVED_REASON_REMOVED), hangupL1('x'))
      .when(b.removeParticipant())
      .thenNothing();
  });
  it('cancels a participant still ringing', () =>
    given(...dialling())
      .when(b.removeParticipant())
      .then(
        b.participantRemoved(Reason.PARTICIPANT_REMOVED_REASON_REMOVED),
        hangupL1('participant removed'),
      ));
  it('refuses an unknown participant, also on an ended call; a removed one on an ended call is OK', () => {
    given(...b.threeWayCall())
      .when(b.removeParticipant('P7'))
      .thenThrows(NotFoundError);
    const ended = [
      ...b.threeWayCall(),
      b.legEnded('A', EndCause.END_CAUSE_LOCAL_HANGUP),
      b.legEnded('B', EndCause.END_CAUSE_LOCAL_HANGUP),
      b.participantRemoved(Reason.PARTICIPANT_REMOVED_REASON_CALL_ENDED),
      hangupL1('the three-way call ended'),
      b.callEnded(EndCause.END_CAUSE_LOCAL_HANGUP),
    ];
    given(...ended)
      .when(b.removeParticipant())
      .thenNothing();
    given(...ended)
      .when(b.removeParticipant('P7'))
      .thenThrows(NotFoundError);
  });
});

describe('the call ending', () => {
  it('removes the participant (CALL_ENDED) and hangs it up when the last party leg ends: it never keeps the call up', () =>
    given(...b.threeWayCall(), b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
        b.participantRemoved(Reason.PARTICIPANT_REMOVED_REASON_CALL_ENDED),
        hangupL1('the three-way call ended'),
        b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
      ));
  it('one party leaving leaves a two-party call with the participant (A and the participant talk on)', () =>
    given(...b.threeWayCall())
      .when(b.recordLegEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP)));
  it('a lost mixer removes every participant (MIXER_FAILED) and hangs it up', () =>
    given(...b.threeWayCall())
      .when(b.recordMixerLost())
      .then(b.participantRemoved(Reason.PARTICIPANT_REMOVED_REASON_MIXER_FAILED), hangupL1('mixer lost')));
});

describe('who hears whom (membersOf, hearingOf)', () => {
  const heard = (events: ReturnType<typeof b.threeWayCall>) => {
    const s = foldEvents(events);
    return hearingOf(membersOf(s), ['A', 'B']);
  };
  it('FULL: the participant barges: everybody hears everybody, the parties are routed through the mixer', () =>
    expect(heard(b.threeWayCall())).toEqual({
      rows: [
        { listenerId: 'par-P1', sourceIds: ['fork-A', 'fork-B'] },
        { listenerId: 'in-A', sourceIds: ['in-B', 'par-P1'] },
        { listenerId: 'in-B', sourceIds: ['in-A', 'par-P1'] },
      ],
      routed: ['A', 'B'],
    }));
  it('LISTEN: the participant hears both forks; nobody hears it, the parties stay on their path', () =>
    expect(heard(b.threeWayCall(LISTEN))).toEqual({
      rows: [{ listenerId: 'par-P1', sourceIds: ['fork-A', 'fork-B'] }],
      routed: [],
    }));
  it('a listening supervisor hears a FULL participant; a removed participant is no member', () => {
    const s = foldEvents([
      ...b.threeWayCall(),
      b.monitorRequested(),
      b.supervisorDialled(),
      b.legInitiated('S1'),
      b.legAnswered('S1'),
      b.monitorStarted(),
    ]);
    expect(membersOf(s).map((m) => [m.participantId, m.mode])).toEqual([
      ['sup-M1', MonitorMode.MONITOR_MODE_LISTEN],
      ['par-P1', MonitorMode.MONITOR_MODE_BARGE],
    ]);
    expect(
      membersOf(
        foldEvents(
          [b.participantRemoved(Reason.PARTICIPANT_REMOVED_REASON_REMOVED)],
          foldEvents(b.threeWayCall()),
        ),
      ),
    ).toEqual([]);
  });
});
