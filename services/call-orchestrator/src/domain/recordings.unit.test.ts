import {
  AlreadyRunningError,
  IdempotencyConflictError,
  IllegalStateError,
  NotFoundError,
  ValidationError,
} from './errors';
import { settled } from './call.settled';
import { foldEvents } from './call.state';
import { decide } from './call.decide';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
const { EndCause, PlaybackEndReason: P, RecordingStopReason: Stop, RecordingChannels } = b;

const R = 'rec-r1';
const S = 'rec-s1';
const threeAnswered = () => [...b.bothAnswered(), b.legInitiated('C'), b.legAnswered('C')];

describe('StartRecording', () => {
  it('records the answered legs DUAL, caller left, with the defaults, and answers the recording id', () =>
    given(...b.bothAnswered())
      .when(b.startRecording())
      .thenResult(R, b.callRecordingStarted(R, ['A', 'B'])));
  it('makes the id rec- and 32 hex digits from a UUID new id', () =>
    given(...b.bothAnswered())
      .when(b.startRecording({}, '0190f3a2-7b4c-7d1e-8f00-0123456789ab'))
      .thenResult('rec-0190f3a27b4c7d1e8f000123456789ab'));
  it('takes the first two answered legs (in the order they were created) for DUAL', () =>
    given(...threeAnswered())
      .when(b.startRecording())
      .then(b.callRecordingStarted(R, ['A', 'B'])));
  it('mixes every answered leg for MONO', () =>
    given(...threeAnswered())
      .when(b.startRecording({ channels: RecordingChannels.RECORDING_CHANNELS_MONO }))
      .then(
        b.callRecordingStarted(R, ['A', 'B', 'C'], { channels: RecordingChannels.RECORDING_CHANNELS_MONO }),
      ));
  it('leaves out legs that are not answered', () =>
    given(...b.answeredA(), b.legInitiated('B'), b.legRinging('B'))
      .when(b.startRecording())
      .then(b.callRecordingStarted(R, ['A'])));
  it('keeps the pause mode and the maximum duration asked', () =>
    given(...b.answeredA())
      .when(b.startRecording({ pauseMode: b.PauseMode.PAUSE_MODE_CUT, maxDurationMs: 60_000 }))
      .then(
        b.callRecordingStarted(R, ['A'], { pauseMode: b.PauseMode.PAUSE_MODE_CUT, maxDurationMs: 60_000 }),
      ));
  it('beeps to each recorded leg first, as playbacks that replace what played there', () =>
    given(...b.bothAnswered(), b.playbackStarted('A', 'P1'))
      .when(b.startRecording({ beep: true }))
      .then(
        b.playbackFinished('A', 'P1', P.PLAYBACK_END_REASON_STOPPED),
        b.beepStarted(R, 'A'),
        b.beepStarted(R, 'B'),
        b.callRecordingStarted(R, ['A', 'B'], { beep: true }),
      ));
  it('refuses a call with no answered leg (FAILED_PRECONDITION)', () =>
    given(...b.outboundRinging())
      .when(b.startRecording())
      .thenThrows(IllegalStateError, /no answered leg/));
  it('refuses an ended call', () =>
    given(
      ...b.answeredA(),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.startRecording())
      .thenThrows(IllegalStateError));
  it('says a call that does not exist is not found', () =>
    given().when(b.startRecording()).thenThrows(NotFoundError));
  it.each([
    ['channels', { channels: 7 }],
    ['pause_mode', { pauseMode: 9 }],
  ])('refuses an unknown %s', (field, o) =>
    given(...b.answeredA())
      .when(b.startRecording(o))
      .thenThrows(ValidationError, new RegExp(field)),
  );

  describe('while a call recording runs', () => {
    const h = [...b.bothAnswered(), b.callRecordingStarted(R, ['A', 'B'], { idempotencyKey: 'k1' })];
    it('refuses another, naming the running one (ALREADY_EXISTS)', () =>
      given(...h)
        .when(b.startRecording({}, 'R2', 'k2'))
        .thenThrows(AlreadyRunningError, new RegExp(R)));
    it('refuses another while it is paused', () =>
      given(...h, b.recordingPaused(R))
        .when(b.startRecording({}, 'R2'))
        .thenThrows(AlreadyRunningError));
    it('answers the same key with the first id and no events', () =>
      given(...h)
        .when(b.startRecording({}, 'R2', 'k1'))
        .thenResult(R, ...[]));
    it('answers the same key with the first id after it stopped, and when no leg is answered any more', () =>
      given(...h, b.recordingStopped(R), b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
        .when(b.startRecording({}, 'R2', 'k1'))
        .thenResult(R));
    it('refuses the same key for another request', () =>
      given(...h)
        .when(b.startRecording({ beep: true }, 'R2', 'k1'))
        .thenThrows(IdempotencyConflictError));
    it('starts a new one once it stopped (the stopped one is only being stored)', () =>
      given(...h, b.recordingStopped(R))
        .when(b.startRecording({}, 'R2'))
        .thenResult('rec-r2'));
    it('lets a segment run beside it', () =>
      given(...h)
        .when(b.recordLeg('A'))
        .thenResult(S));
  });
});

describe('RecordLeg', () => {
  it('records one leg MONO with the defaults (120000 ms, 5000 ms of silence)', () =>
    given(...b.bothAnswered())
      .when(b.recordLeg('B'))
      .thenResult(S, b.segmentStarted(S, 'B')));
  it('keeps the terminator, lengths and key asked', () =>
    given(...b.answeredA())
      .when(b.recordLeg('A', { terminator: '#', maxLengthMs: 3_600_000, silenceTimeoutMs: 2000 }, 'S1', 'kv'))
      .then(
        b.segmentStarted(S, 'A', {
          terminator: '#',
          maxDurationMs: 3_600_000,
          silenceTimeoutMs: 2000,
          idempotencyKey: 'kv',
        }),
      ));
  it('beeps to the leg first', () =>
    given(...b.answeredA())
      .when(b.recordLeg('A', { beep: true }))
      .then(b.beepStarted(S, 'A'), b.segmentStarted(S, 'A', { beep: true })));
  it('refuses max_length_ms above 3600000', () =>
    given(...b.answeredA())
      .when(b.recordLeg('A', { maxLengthMs: 3_600_001 }))
      .thenThrows(ValidationError, /max_length_ms/));
  it.each(['##', 'A', 'x'])('refuses the terminator "%s"', (terminator) =>
    given(...b.answeredA())
      .when(b.recordLeg('A', { terminator }))
      .thenThrows(ValidationError, /terminator/),
  );
  it('refuses a leg that is not answered', () =>
    given(...b.answeredA(), b.legInitiated('B'), b.legRinging('B'))
      .when(b.recordLeg('B'))
      .thenThrows(IllegalStateError));
  it('says an unknown leg is not found', () =>
    given(...b.answeredA())
      .when(b.recordLeg('Z'))
      .thenThrows(NotFoundError));
  it('refuses a second segment of the same leg while the first runs', () =>
    given(...b.answeredA(), b.segmentStarted(S, 'A'))
      .when(b.recordLeg('A', {}, 'S2'))
      .thenThrows(AlreadyRunningError, new RegExp(S)));
  it('answers a retry under the same key with the first id', () =>
    given(...b.answeredA(), b.segmentStarted(S, 'A', { idempotencyKey: 'kv' }))
      .when(b.recordLeg('A', {}, 'S2', 'kv'))
      .thenResult(S));
  it('refuses the key of a segment for another leg', () =>
    given(...b.bothAnswered(), b.segmentStarted(S, 'A', { idempotencyKey: 'kv' }))
      .when(b.recordLeg('B', {}, 'S2', 'kv'))
      .thenThrows(IdempotencyConflictError));
});

describe('pause, resume, stop', () => {
  const h = [...b.bothAnswered(), b.callRecordingStarted(R, ['A', 'B'])];
  it('pauses a recording one', () =>
    given(...h)
      .when(b.pauseRecording(R))
      .then(b.recordingPaused(R)));
  it('refuses to pause a paused one', () =>
    given(...h, b.recordingPaused(R))
      .when(b.pauseRecording(R))
      .thenThrows(IllegalStateError, /paused/));
  it('refuses to pause a stopped one', () =>
    given(...h, b.recordingStopped(R))
      .when(b.pauseRecording(R))
      .thenThrows(IllegalStateError));
  it('resumes a paused one', () =>
    given(...h, b.recordingPaused(R))
      .when(b.resumeRecording(R))
      .then(b.recordingResumed(R)));
  it('refuses to resume one that is not paused', () =>
    given(...h)
      .when(b.resumeRecording(R))
      .thenThrows(IllegalStateError, /recording/));
  it('stops a recording one, and a paused one', () => {
    given(...h)
      .when(b.stopRecording(R))
      .then(b.recordingStopped(R));
    given(...h, b.recordingPaused(R))
      .when(b.stopRecording(R))
      .then(b.recordingStopped(R));
  });
  it('stops one that stopped, was saved or failed with no events', () => {
    given(...h, b.recordingStopped(R))
      .when(b.stopRecording(R))
      .thenNothing();
    given(...h, b.recordingStopped(R), b.recordingSaved(R))
      .when(b.stopRecording(R))
      .thenNothing();
    given(...h, b.recordingFailed(R))
      .when(b.stopRecording(R))
      .thenNothing();
  });
  it('stops one that ended with its call with no events', () =>
    given(
      ...h,
      b.recordingStopped(R, Stop.RECORDING_STOP_REASON_CALL_ENDED),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.stopRecording(R))
      .thenNothing());
  it.each([
    ['pause', b.pauseRecording],
    ['resume', b.resumeRecording],
    ['stop', b.stopRecording],
  ])('says an unknown recording is not found on %s', (_, command) =>
    given(...h)
      .when(command('rec-nope'))
      .thenThrows(NotFoundError),
  );
});

describe('the end of a leg or of the call', () => {
  it("stops a call recording with CALL_ENDED when the call's last leg ends, before CallEnded", () =>
    given(...b.answeredA(), b.callRecordingStarted(R, ['A']))
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
        b.recordingStopped(R, Stop.RECORDING_STOP_REASON_CALL_ENDED),
        b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
      ));
  it('keeps a call recording running when one of two legs ends', () =>
    given(...threeAnswered(), b.callRecordingStarted(R, ['A', 'B']))
      .when(b.recordLegEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP)));
  it('stops a segment with CALL_ENDED when its leg ends, before LegEnded', () =>
    given(...threeAnswered(), b.segmentStarted(S, 'B'))
      .when(b.recordLegEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(
        b.recordingStopped(S, Stop.RECORDING_STOP_REASON_CALL_ENDED),
        b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP),
      ));
  it('stops each recording once when the whole call is hung up: segments with their leg, the call recording last', () =>
    given(...b.bothAnswered(), b.callRecordingStarted(R, ['A', 'B']), b.segmentStarted(S, 'B'))
      .when(b.hangup())
      .thenState((s) => {
        expect(s.status).toBe('ended');
        expect(s.status === 'ended' && [s.recordings[R]?.status, s.recordings[S]?.status]).toEqual([
          'stopped',
          'stopped',
        ]);
      }));
  it('records each stop once, in cascade order, on a hang-up of every leg', () => {
    const d = decide(
      b.hangup(),
      foldEvents([...b.bothAnswered(), b.callRecordingStarted(R, ['A', 'B']), b.segmentStarted(S, 'B')]),
    );
    const stops = d.events.filter((e) => e.type === 'RecordingStopped').map((e) => e.data);
    expect(stops).toEqual([
      expect.objectContaining({ recordingId: S, reason: Stop.RECORDING_STOP_REASON_CALL_ENDED }),
      expect.objectContaining({ recordingId: R, reason: Stop.RECORDING_STOP_REASON_CALL_ENDED }),
    ]);
    expect(d.events.map((e) => e.type).slice(-2)).toEqual(['RecordingStopped', 'CallEnded']);
  });
  it('stops nothing that already stopped', () =>
    given(...b.answeredA(), b.segmentStarted(S, 'A'), b.recordingStopped(S))
      .when(b.recordLegEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP))
      .then(
        b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
        b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
      ));
});

describe("a segment's terminator", () => {
  const h = [...b.bothAnswered(), b.segmentStarted(S, 'A', { terminator: '#' })];
  it('stops the segment with TERMINATOR after the DtmfReceived', () =>
    given(...h)
      .when(b.recordDtmf('A', '#'))
      .then(b.dtmfReceived('A', '#'), b.recordingStopped(S, Stop.RECORDING_STOP_REASON_TERMINATOR)));
  it('stops it while paused too', () =>
    given(...h, b.recordingPaused(S))
      .when(b.recordDtmf('A', '#'))
      .then(b.dtmfReceived('A', '#'), b.recordingStopped(S, Stop.RECORDING_STOP_REASON_TERMINATOR)));
  it('ignores another key, the key on another leg, and a stopped segment', () => {
    given(...h)
      .when(b.recordDtmf('A', '1'))
      .then(b.dtmfReceived('A', '1'));
    given(...h)
      .when(b.recordDtmf('B', '#'))
      .then(b.dtmfReceived('B', '#'));
    given(...h, b.recordingStopped(S))
      .when(b.recordDtmf('A', '#'))
      .then(b.dtmfReceived('A', '#'));
  });
  it('stops the segment after a collection took the key as its own terminator', () =>
    given(...h, b.collectStarted('A', 'K1', { terminators: '#' }))
      .when(b.recordDtmf('A', '#'))
      .thenState((s) => {
        expect(s.status === 'active' && s.recordings[S]?.status).toBe('stopped');
        expect(s.status === 'active' && s.collects.K1?.status).toBe('done');
      }));
});

describe("the recording service's facts", () => {
  const h = [...b.answeredA(), b.callRecordingStarted(R, ['A'])];
  const ended = [
    ...h,
    b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
    b.recordingStopped(R, Stop.RECORDING_STOP_REASON_CALL_ENDED),
    b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
  ];
  it('records a recorder that stopped by itself with its reason', () =>
    given(...h)
      .when(b.recordRecorderStopped(R, Stop.RECORDING_STOP_REASON_MAX_DURATION))
      .then(b.recordingStopped(R, Stop.RECORDING_STOP_REASON_MAX_DURATION)));
  it('records nothing when the recorder reports a stop the log has', () =>
    given(...h, b.recordingStopped(R))
      .when(b.recordRecorderStopped(R, Stop.RECORDING_STOP_REASON_REQUESTED))
      .thenNothing());
  it('records the final part saved after the call ended, and the recording is saved', () =>
    given(...ended)
      .when(b.recordRecordingSaved(R))
      .thenState((s) => expect(s.status === 'ended' && s.recordings[R]?.status).toBe('saved')));
  it('records the saved part as RecordingSaved', () =>
    given(...ended)
      .when(b.recordRecordingSaved(R))
      .then(b.recordingSaved(R)));
  it('keeps a recording running when a part is saved without final (after a crash)', () =>
    given(...h)
      .when(b.recordRecordingSaved(R, 1, false))
      .thenState((s) => expect(s.status === 'active' && s.recordings[R]?.status).toBe('recording')));
  it('records a part saved twice once', () =>
    given(...h, b.recordingSaved(R, 1, false))
      .when(b.recordRecordingSaved(R, 1, false))
      .thenNothing());
  it('records the next part after a partial one', () =>
    given(...h, b.recordingSaved(R, 1, false), b.recordingStopped(R))
      .when(b.recordRecordingSaved(R, 2))
      .then(b.recordingSaved(R, 2)));
  it('records a failure after the call ended, and nothing after it', () => {
    given(...ended)
      .when(b.recordRecordingFailed(R))
      .then(b.recordingFailed(R));
    given(...ended, b.recordingFailed(R))
      .when(b.recordRecordingFailed(R))
      .thenNothing();
    given(...ended, b.recordingFailed(R))
      .when(b.recordRecordingSaved(R))
      .thenNothing();
  });
  it('records nothing after the final part', () => {
    given(...ended, b.recordingSaved(R))
      .when(b.recordRecordingSaved(R, 2))
      .thenNothing();
    given(...ended, b.recordingSaved(R))
      .when(b.recordRecordingFailed(R))
      .thenNothing();
  });
  it('records nothing of a recording the log never knew (its start was not recorded)', () =>
    given(...h)
      .when(b.recordRecordingSaved('rec-unknown'))
      .thenNothing());

  it('calls a redelivered fact settled once the log reflects it, and not before', () => {
    const saved = foldEvents([...ended, b.recordingSaved(R)]);
    expect(settled(b.recordRecordingSaved(R), saved)).toBe(true);
    expect(settled(b.recordRecordingSaved(R), foldEvents(ended))).toBe(false);
    expect(
      settled(b.recordRecordingSaved(R, 1, false), foldEvents([...h, b.recordingSaved(R, 1, false)])),
    ).toBe(true);
    expect(settled(b.recordRecorderStopped(R, Stop.RECORDING_STOP_REASON_SILENCE), foldEvents(ended))).toBe(
      true,
    );
    expect(settled(b.recordRecorderStopped(R, Stop.RECORDING_STOP_REASON_SILENCE), foldEvents(h))).toBe(
      false,
    );
    expect(settled(b.recordRecordingFailed(R), foldEvents([...ended, b.recordingFailed(R)]))).toBe(true);
    // An unknown recording may be the cache being behind the log: never settled.
    expect(settled(b.recordRecordingSaved('rec-unknown'), foldEvents(h))).toBe(false);
  });
  it('knows a segment from a call recording', () => {
    const s = foldEvents([...b.answeredA(), b.segmentStarted(S, 'A')]);
    expect(s.status === 'active' && s.recordings[S]?.kind).toBe('segment');
  });
});
