import { callEvents } from '@callctl/proto';
import { IllegalStateError, NotFoundError, ValidationError } from './errors';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
import { botsOf, hearingOf } from './capabilities/monitors/hearing';
import { foldEvents } from './call.state';
import { endReasonOf } from './capabilities/monitors/monitors.decide';

const { EndCause, MonitorMode, MonitorEndReason } = b;
const hangupSup = (why: string, legId = 'S1') => b.legEnded(legId, EndCause.END_CAUSE_LOCAL_HANGUP, 0, why);
const monitored = b.monitoredCall;

describe('MonitorCall', () => {
  it('on a connected call, records the monitor and dials the supervisor at once, with its ring timeout', () => {
    given(...b.bothAnswered())
      .when(b.monitorCall())
      .thenResult('M1', b.monitorRequested(), b.supervisorDialled());
    given(...b.bothAnswered())
      .when(b.monitorCall())
      .thenDeadlines({ kind: 'ringTimeout', legId: 'S1', atMs: 31_000 });
  });
  it('on a call not connected yet, only records the monitor; the first party answer dials the supervisor', () => {
    given(...b.outboundRinging())
      .when(b.monitorCall())
      .thenResult('M1', b.monitorRequested());
    given(...b.outboundRinging(), b.monitorRequested())
      .when(b.recordLegAnswered('A'))
      .then(b.legAnswered('A'), b.supervisorDialled());
    given(...b.inboundRinging(), b.monitorRequested())
      .when(b.answerLeg('A'))
      .then(b.legAnswered('A'), b.supervisorDialled());
  });
  it('dials a supervisor only once, whatever answers next', () =>
    given(...b.answeredA(), b.monitorRequested(), b.supervisorDialled(), b.legInitiated('B'))
      .when(b.recordLegAnswered('B'))
      .then(b.legAnswered('B')));
  it('turns a number into a SIP URI at the host of the From', () =>
    given(...b.bothAnswered())
      .when(b.monitorCall({ uri: '+4930123' }))
      .then(
        b.monitorRequested({ uri: 'sip:+4930123@127.0.0.1' }),
        b.supervisorDialled('M1', 'sip:+4930123@127.0.0.1'),
      ));
  it('answers a retry with the same key with the same monitor, recording nothing', () =>
    given(...b.bothAnswered(), b.monitorRequested(), b.supervisorDialled())
      .when(b.monitorCall({ id: 'M9' }))
      .thenResult('M1', ...[]));
  it('answers a retry from its key even when its whisper leg has ended since', () =>
    given(
      ...b.bothAnswered(),
      b.monitorRequested({ mode: MonitorMode.MONITOR_MODE_WHISPER, whisper: 'B' }),
      b.supervisorDialled(),
      b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.monitorCall({ mode: MonitorMode.MONITOR_MODE_WHISPER, whisper: 'B', id: 'M9' }))
      .thenResult('M1'));
  it('refuses what the contract refuses', () => {
    given().when(b.monitorCall()).thenThrows(NotFoundError);
    given(
      ...b.answeredA(),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.monitorCall())
      .thenThrows(IllegalStateError);
    given(...b.bothAnswered())
      .when(b.monitorCall({ uri: 'tel:123' }))
      .thenThrows(ValidationError);
    given(...b.bothAnswered())
      .when(b.monitorCall({ key: undefined }))
      .thenThrows(ValidationError, /idempotency/);
    given(...b.bothAnswered())
      .when(b.monitorCall({ mode: MonitorMode.MONITOR_MODE_WHISPER }))
      .thenThrows(ValidationError, /whisper_leg_id/);
    given(...monitored())
      .when(b.monitorCall({ id: 'M2', key: 'k2', mode: MonitorMode.MONITOR_MODE_WHISPER, whisper: 'S1' }))
      .thenThrows(ValidationError, /party leg/);
    given(...b.bothAnswered())
      .when(b.monitorCall({ mode: 9 as never }))
      .thenThrows(ValidationError);
  });
  it('keeps whisper to a party leg', () =>
    given(...b.bothAnswered())
      .when(b.monitorCall({ mode: MonitorMode.MONITOR_MODE_WHISPER, whisper: 'B' }))
      .then(
        b.monitorRequested({ mode: MonitorMode.MONITOR_MODE_WHISPER, whisper: 'B' }),
        b.supervisorDialled(),
      ));
});

describe('the supervisor leg', () => {
  it('starts the monitor when it answers, and is never bridged', () =>
    given(...b.bothAnswered(), b.monitorRequested(), b.supervisorDialled(), b.legInitiated('S1'))
      .when(b.recordLegAnswered('S1'))
      .then(b.legAnswered('S1'), b.monitorStarted()));
  it('carries its role and monitor into LegInitiated', () =>
    given(...b.bothAnswered(), b.monitorRequested(), b.supervisorDialled())
      .when(b.recordLegInitiated('S1'))
      .thenState((s) => {
        if (s.status === 'none') throw new Error('no call');
        expect(s.legs.S1).toMatchObject({ role: callEvents.LegRole.LEG_ROLE_SUPERVISOR, monitorId: 'M1' });
      }));
  it('ends only the monitor when the supervisor hangs up; the call goes on', () =>
    given(...monitored())
      .when(b.recordLegEnded('S1', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(
        b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_HANGUP),
        b.legEnded('S1', EndCause.END_CAUSE_REMOTE_HANGUP),
      ));
  it('ends the monitor as busy, no answer or failed, with the SIP status', () => {
    const dialling = [...b.bothAnswered(), b.monitorRequested(), b.supervisorDialled(), b.legInitiated('S1')];
    given(...dialling)
      .when(b.recordLegEnded('S1', EndCause.END_CAUSE_BUSY, 486))
      .then(
        b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_BUSY, 486),
        b.legEnded('S1', EndCause.END_CAUSE_BUSY, 486),
      );
    given(...dialling)
      .when(b.recordLegEnded('S1', EndCause.END_CAUSE_NO_ANSWER))
      .then(
        b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_NO_ANSWER),
        b.legEnded('S1', EndCause.END_CAUSE_NO_ANSWER),
      );
    given(...dialling)
      .when(b.recordLegEnded('S1', EndCause.END_CAUSE_UNREACHABLE, 503))
      .then(
        b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_FAILED, 503),
        b.legEnded('S1', EndCause.END_CAUSE_UNREACHABLE, 503),
      );
  });
  it('maps how a supervisor leg ended to the reason', () => {
    expect(endReasonOf(EndCause.END_CAUSE_UNREACHABLE, 480)).toBe(
      MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_NO_ANSWER,
    );
    expect(endReasonOf(EndCause.END_CAUSE_UNREACHABLE, 408)).toBe(
      MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_NO_ANSWER,
    );
    expect(endReasonOf(EndCause.END_CAUSE_REJECTED, 600)).toBe(
      MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_BUSY,
    );
    expect(endReasonOf(EndCause.END_CAUSE_REJECTED, 603)).toBe(
      MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_FAILED,
    );
    expect(endReasonOf(EndCause.END_CAUSE_LOCAL_HANGUP, 0)).toBe(MonitorEndReason.MONITOR_END_REASON_STOPPED);
    expect(endReasonOf(EndCause.END_CAUSE_NOT_REGISTERED, 480)).toBe(
      MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_FAILED,
    );
    expect(endReasonOf(EndCause.END_CAUSE_NO_ROUTE, 404)).toBe(
      MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_FAILED,
    );
  });
});

describe('a supervisor leg is no party', () => {
  it('is never bridged, nor dialled to be bridged with', () => {
    given(...monitored())
      .when(b.bridgeLegs('A', 'S1'))
      .thenThrows(IllegalStateError, /supervisor/);
    given(...monitored())
      .when(b.dial('S1', 'C9'))
      .thenThrows(IllegalStateError, /supervisor/);
  });
  it('is not recorded with the conversation', () =>
    given(...monitored())
      .when(b.startRecording({}, 'R1', 'k-rec'))
      .thenState((s) => {
        if (s.status === 'none') throw new Error('no call');
        expect(Object.values(s.recordings)[0]?.legIds).toEqual(['A', 'B']);
      }));
});

describe('the call ending', () => {
  it('ends the monitor (CALL_ENDED) and hangs the supervisor up when the last party leg ends', () =>
    given(...monitored(), b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
        b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_CALL_ENDED),
        hangupSup('the monitored call ended'),
        b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
      ));
  it('a Hangup of the call ends the parties, then the monitor and its supervisor with the call', () =>
    given(...monitored())
      .when(b.hangup())
      .then(
        b.legEnded('A', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'hangup requested'),
        b.legEnded('B', EndCause.END_CAUSE_LOCAL_HANGUP, 0, 'hangup requested'),
        b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_CALL_ENDED),
        hangupSup('the monitored call ended'),
        b.callEnded(EndCause.END_CAUSE_LOCAL_HANGUP),
      ));
  it('ends a monitor still waiting for the call to connect', () =>
    given(...b.outboundRinging(), b.monitorRequested())
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_NO_ANSWER))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_NO_ANSWER),
        b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_CALL_ENDED),
        b.callEnded(EndCause.END_CAUSE_NO_ANSWER),
      ));
});

describe('SetMonitorMode and StopMonitor', () => {
  it('switches the mode, and records nothing for the same mode', () => {
    given(...monitored())
      .when(b.setMonitorMode(MonitorMode.MONITOR_MODE_WHISPER, 'B'))
      .then(b.monitorModeChanged(MonitorMode.MONITOR_MODE_WHISPER, 'B'));
    given(...monitored())
      .when(b.setMonitorMode(MonitorMode.MONITOR_MODE_LISTEN))
      .thenNothing();
  });
  it('refuses an unknown monitor, an ended one, an unspecified mode and a bad whisper leg', () => {
    given(...monitored())
      .when(b.setMonitorMode(MonitorMode.MONITOR_MODE_BARGE, '', 'M7'))
      .thenThrows(NotFoundError);
    given(...monitored(), b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_STOPPED))
      .when(b.setMonitorMode(MonitorMode.MONITOR_MODE_BARGE))
      .thenThrows(IllegalStateError);
    given(...monitored())
      .when(b.setMonitorMode(MonitorMode.MONITOR_MODE_UNSPECIFIED))
      .thenThrows(ValidationError);
    given(...monitored())
      .when(b.setMonitorMode(MonitorMode.MONITOR_MODE_WHISPER, 'X'))
      .thenThrows(ValidationError);
  });
  it('stops a monitor and hangs its supervisor up; the call goes on; a second stop is OK', () => {
    given(...monitored())
      .when(b.stopMonitor())
      .then(b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_STOPPED), hangupSup('monitor stopped'));
    given(
      ...monitored(),
      b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_STOPPED),
      hangupSup('monitor stopped'),
    )
      .when(b.stopMonitor())
      .thenNothing();
    given(...monitored())
      .when(b.stopMonitor('M7'))
      .thenThrows(NotFoundError);
  });
  it('a lost mixer ends every monitor (MIXER_FAILED) and hangs the supervisors up', () =>
    given(...monitored())
      .when(b.recordMixerLost())
      .then(b.monitorEnded(MonitorEndReason.MONITOR_END_REASON_MIXER_FAILED), hangupSup('mixer lost')));
});

describe('hearingOf', () => {
  const m = (monitorId: string, mode: number, whisperLegId = '') => ({
    participantId: `sup-${monitorId}`,
    legId: `S-${monitorId}`,
    mode,
    whisperLegId,
  });
  it('listen: the supervisor hears both forks; nobody is routed', () =>
    expect(hearingOf([m('M1', MonitorMode.MONITOR_MODE_LISTEN)], ['A', 'B'])).toEqual({
      rows: [{ listenerId: 'sup-M1', sourceIds: ['fork-A', 'fork-B'] }],
      routed: [],
    }));
  it('whisper to B: both parties routed; B hears A and the supervisor, A hears only B', () =>
    expect(hearingOf([m('M1', MonitorMode.MONITOR_MODE_WHISPER, 'B')], ['A', 'B'])).toEqual({
      rows: [
        { listenerId: 'sup-M1', sourceIds: ['fork-A', 'fork-B'] },
        { listenerId: 'in-A', sourceIds: ['in-B'] },
        { listenerId: 'in-B', sourceIds: ['in-A', 'sup-M1'] },
      ],
      routed: ['A', 'B'],
    }));
  it('barge: everybody hears everybody; a listening supervisor hears the barging one', () =>
    expect(
      hearingOf(
        [m('M1', MonitorMode.MONITOR_MODE_BARGE), m('M2', MonitorMode.MONITOR_MODE_LISTEN)],
        ['A', 'B'],
      ),
    ).toEqual({
      rows: [
        { listenerId: 'sup-M1', sourceIds: ['fork-A', 'fork-B'] },
        { listenerId: 'sup-M2', sourceIds: ['fork-A', 'fork-B', 'sup-M1'] },
        { listenerId: 'in-A', sourceIds: ['in-B', 'sup-M1'] },
        { listenerId: 'in-B', sourceIds: ['in-A', 'sup-M1'] },
      ],
      routed: ['A', 'B'],
    }));

  const bot = (streamId: string, legId = '') => ({ participantId: `bot-${streamId}`, streamId, legId });
  it('a call stream bot: every party routed, hearing the other parties and the bot', () =>
    expect(hearingOf([], ['A', 'B'], [bot('str-1')])).toEqual({
      rows: [
        { listenerId: 'in-A', sourceIds: ['in-B', 'bot-str-1'] },
        { listenerId: 'in-B', sourceIds: ['in-A', 'bot-str-1'] },
      ],
      routed: ['A', 'B'],
    }));
  it('a leg stream bot: only its leg hears it; the other party still hears the leg', () =>
    expect(hearingOf([], ['A', 'B'], [bot('str-1', 'B')])).toEqual({
      rows: [
        { listenerId: 'in-A', sourceIds: ['in-B'] },
        { listenerId: 'in-B', sourceIds: ['in-A', 'bot-str-1'] },
      ],
      routed: ['A', 'B'],
    }));
  it('a listening supervisor hears a call stream bot with the parties, not a leg stream bot', () =>
    expect(
      hearingOf([m('M1', MonitorMode.MONITOR_MODE_LISTEN)], ['A', 'B'], [bot('str-1'), bot('str-2', 'A')]),
    ).toEqual({
      rows: [
        { listenerId: 'sup-M1', sourceIds: ['fork-A', 'fork-B', 'bot-str-1'] },
        { listenerId: 'in-A', sourceIds: ['in-B', 'bot-str-1', 'bot-str-2'] },
        { listenerId: 'in-B', sourceIds: ['in-A', 'bot-str-1'] },
      ],
      routed: ['A', 'B'],
    }));
  it('the bots are the running bidirectional streams of an active call', () => {
    const state = foldEvents([
      ...b.bothAnswered(),
      b.streamRequested('str-1', ['A', 'B'], { bidirectional: true }),
      b.streamRequested('str-2', ['A', 'B']),
      b.streamRequested('str-3', ['B'], { bidirectional: true, legId: 'B' }),
      b.streamRequested('str-4', ['A', 'B'], { bidirectional: true }),
      b.streamStopped('str-4'),
    ]);
    expect(botsOf(state)).toEqual([bot('str-1'), bot('str-3', 'B')]);
  });
});
