import { IdempotencyConflictError, IllegalStateError, NotFoundError, ValidationError } from './errors';
import { settled } from './call.settled';
import { foldEvents, type CallState } from './call.state';
import { decide } from './call.decide';
import { given } from './testing/decider-spec';
import * as b from './testing/builders';
import {
  rosterReason,
  rosterUpdate,
  streamContext,
  streamParticipants,
  streamsEndedBy,
  streamsOfLeg,
} from './capabilities/streams/roster';
import type { CallEvent } from './call.events';

const { EndCause, StreamStopReason: Stop, StreamEncoding, StreamTracks } = b;
const S = 'str-s1';
const running = () => [...b.bothAnswered(), b.streamRequested(S, ['A', 'B']), b.streamStarted(S)];
const stateOf = (...events: CallEvent[]): CallState => foldEvents(events);
const streamIn = (s: CallState, id = S) => (s.status === 'none' ? undefined : s.streams[id])!;

describe('StartStream', () => {
  it('streams the answered parties with the defaults and answers the stream id', () =>
    given(...b.bothAnswered())
      .when(b.startStream())
      .thenResult(S, b.streamRequested(S, ['A', 'B'])));
  it('makes the id str- and 32 hex digits from a UUID new id', () =>
    given(...b.answeredA())
      .when(b.startStream({}, '0190f3a2-7b4c-7d1e-8f00-0123456789ab'))
      .thenResult('str-0190f3a27b4c7d1e8f000123456789ab'));
  const asked = {
    legId: 'B',
    tracks: StreamTracks.STREAM_TRACKS_MIXED,
    encoding: StreamEncoding.STREAM_ENCODING_L16,
    sampleRate: 16_000,
    bidirectional: true,
    customParameters: { agent: '7' },
    clientState: 'mine',
  };
  it('streams one leg when asked, and keeps what was asked', () =>
    given(...b.bothAnswered())
      .when(b.startStream(asked))
      .then(b.streamRequested(S, ['B'], asked)));
  it('records the URL without user-info and never the authorization', () =>
    given(...b.answeredA())
      .when(b.startStream({ url: 'wss://u:p@bot.example.com/m?token=t', authorization: 'Bearer x' }))
      .thenState((s) => expect(JSON.stringify(s)).not.toContain('Bearer')));
  it('records the URL without user-info', () =>
    given(...b.answeredA())
      .when(b.startStream({ url: 'wss://u:p@bot.example.com/m?token=t' }))
      .then(b.streamRequested(S, ['A'], { url: 'wss://bot.example.com/m?token=t' })));
  it('takes ws:// too (the gateway refuses it where it is not allowed)', () =>
    given(...b.answeredA())
      .when(b.startStream({ url: 'ws://127.0.0.1:9000/x' }))
      .then(b.streamRequested(S, ['A'], { url: 'ws://127.0.0.1:9000/x' })));
  it.each([['ftp://x/y'], ['https://x/y'], ['not a url'], ['']])('refuses the URL %p', (url) =>
    given(...b.answeredA())
      .when(b.startStream({ url }))
      .thenThrows(ValidationError, /url/),
  );
  it.each([
    [StreamEncoding.STREAM_ENCODING_PCMU, 16_000],
    [StreamEncoding.STREAM_ENCODING_L16, 44_100],
    [7 as never, 8000],
  ])('refuses encoding %p at %p Hz', (encoding, sampleRate) =>
    given(...b.answeredA())
      .when(b.startStream({ encoding, sampleRate }))
      .thenThrows(ValidationError),
  );
  it('refuses unknown tracks', () =>
    given(...b.answeredA())
      .when(b.startStream({ tracks: 9 as never }))
      .thenThrows(ValidationError, /tracks/));
  it('refuses more than 32 custom parameters, long keys and long values', () => {
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
    given(...b.answeredA())
      .when(b.startStream({ customParameters: many }))
      .thenThrows(ValidationError, /32/);
    given(...b.answeredA())
      .when(b.startStream({ customParameters: { ['k'.repeat(65)]: 'v' } }))
      .thenThrows(ValidationError, /keys/);
    given(...b.answeredA())
      .when(b.startStream({ customParameters: { k: 'v'.repeat(1025) } }))
      .thenThrows(ValidationError, /1024/);
  });
  it('refuses a call with no answered party (FAILED_PRECONDITION)', () =>
    given(...b.outboundRinging())
      .when(b.startStream())
      .thenThrows(IllegalStateError, /no answered party/));
  it('refuses a leg that is not answered, or unknown', () => {
    given(...b.answeredA(), b.legInitiated('B'))
      .when(b.startStream({ legId: 'B' }))
      .thenThrows(IllegalStateError, /answered/);
    given(...b.answeredA())
      .when(b.startStream({ legId: 'Z' }))
      .thenThrows(NotFoundError);
  });
  it("refuses a supervisor's leg", () =>
    given(...b.monitoredCall())
      .when(b.startStream({ legId: 'S1' }))
      .thenThrows(ValidationError, /supervisor/));
  it('never streams a supervisor, and streams a three-way participant', () => {
    given(...b.monitoredCall())
      .when(b.startStream())
      .then(b.streamRequested(S, ['A', 'B']));
    given(...b.threeWayCall())
      .when(b.startStream())
      .then(b.streamRequested(S, ['A', 'B', 'L1']));
  });
  it('refuses an ended call', () =>
    given(
      ...b.answeredA(),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.startStream())
      .thenThrows(IllegalStateError));
  it('answers the same stream for the same key, and refuses the key for another request', () => {
    const history = [...b.bothAnswered(), b.streamRequested(S, ['A', 'B'], { idempotencyKey: 'k1' })];
    given(...history)
      .when(b.startStream({}, 'S2', 'k1'))
      .thenResult(S);
    given(...history)
      .when(b.startStream({ bidirectional: true }, 'S2', 'k1'))
      .thenThrows(IdempotencyConflictError);
    // The authorization is not part of the request's fingerprint (it is never recorded).
    given(...history)
      .when(b.startStream({ authorization: 'Bearer new' }, 'S2', 'k1'))
      .thenResult(S);
  });
  it('allows several streams per call', () =>
    given(...running())
      .when(b.startStream({}, 'S2'))
      .then(b.streamRequested('str-s2', ['A', 'B'])));
});

describe('StopStream, PauseStream, ResumeStream', () => {
  it('StopStream records nothing itself and says whether the stream runs', () => {
    expect(decide(b.stopStream(S), stateOf(...running()))).toEqual({ events: [], resultId: S });
    expect(decide(b.stopStream(S), stateOf(...running(), b.streamStopped(S)))).toEqual({
      events: [],
      resultId: '',
    });
  });
  it('StopStream of an unknown stream is NOT_FOUND, of one whose call ended OK', () => {
    given(...running())
      .when(b.stopStream('str-x'))
      .thenThrows(NotFoundError);
    given(
      ...running(),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.stopStream(S))
      .thenResult(S);
  });
  it('pauses a running stream once; pausing again is OK', () => {
    given(...running())
      .when(b.pauseStream(S))
      .then(b.streamPaused(S));
    given(...running(), b.streamPaused(S))
      .when(b.pauseStream(S))
      .thenNothing();
    given(...b.bothAnswered(), b.streamRequested(S, ['A']))
      .when(b.pauseStream(S))
      .then(b.streamPaused(S));
  });
  it('refuses to pause a stream that ended (FAILED_PRECONDITION) or is unknown', () => {
    given(...running(), b.streamStopped(S))
      .when(b.pauseStream(S))
      .thenThrows(IllegalStateError);
    given(...running(), b.streamFailed(S))
      .when(b.pauseStream(S))
      .thenThrows(IllegalStateError);
    given(...running())
      .when(b.pauseStream('str-x'))
      .thenThrows(NotFoundError);
  });
  it('resumes a paused stream; resuming one not paused is OK', () => {
    given(...running(), b.streamPaused(S))
      .when(b.resumeStream(S))
      .then(b.streamResumed(S));
    given(...running())
      .when(b.resumeStream(S))
      .thenNothing();
    given(...running(), b.streamPaused(S), b.streamStopped(S))
      .when(b.resumeStream(S))
      .thenNothing();
  });
  it('keeps the stream paused across a reconnection', () =>
    given(...running(), b.streamPaused(S), b.streamReconnecting(S))
      .when(b.recordStreamConnected(S, 1))
      .thenState((s) => expect(streamIn(s)).toMatchObject({ status: 'started', paused: true })));
});

describe("the stream gateway's facts", () => {
  const requested = () => [...b.bothAnswered(), b.streamRequested(S, ['A', 'B'])];
  it('StreamConnected -> StreamStarted, once; again after a reconnection', () => {
    given(...requested())
      .when(b.recordStreamConnected(S))
      .then(b.streamStarted(S));
    given(...running())
      .when(b.recordStreamConnected(S))
      .thenNothing();
    given(...running(), b.streamReconnecting(S))
      .when(b.recordStreamConnected(S, 1))
      .then(b.streamStarted(S, 1));
  });
  it('StreamConnectionLost -> StreamReconnecting with the attempt and reason', () =>
    given(...running())
      .when(b.recordStreamConnectionLost(S, 2, 'ECONNRESET'))
      .then(b.streamReconnecting(S, 2, 'ECONNRESET')));
  it('StreamClosed -> StreamStopped with the reason, detail and counters', () =>
    given(...running())
      .when(
        b.recordStreamClosed(S, Stop.STREAM_STOP_REASON_CALL_ENDED, {
          framesSent: 500,
          framesDropped: 3,
          reconnects: 1,
          detail: 'bye',
        }),
      )
      .then(
        b.streamStopped(S, Stop.STREAM_STOP_REASON_CALL_ENDED, {
          framesSent: 500,
          framesDropped: 3,
          reconnects: 1,
          detail: 'bye',
        }),
      ));
  it('StreamOpenFailed -> StreamFailed with the reason', () =>
    given(...requested())
      .when(b.recordStreamOpenFailed(S, 'HTTP 403'))
      .then(b.streamFailed(S, 'HTTP 403')));
  it('records the close on an ended call (it comes after the BYE)', () =>
    given(
      ...running(),
      b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP),
      b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
    )
      .when(b.recordStreamClosed(S, Stop.STREAM_STOP_REASON_CALL_ENDED, { framesSent: 9 }))
      .then(b.streamStopped(S, Stop.STREAM_STOP_REASON_CALL_ENDED, { framesSent: 9 })));
  it('records nothing for a stream that ended or that the log does not know', () => {
    given(...running(), b.streamStopped(S))
      .when(b.recordStreamClosed(S))
      .thenNothing();
    given(...running(), b.streamFailed(S))
      .when(b.recordStreamConnected(S))
      .thenNothing();
    given(...running())
      .when(b.recordStreamClosed('str-unknown'))
      .thenNothing();
    given(...running(), b.streamStopped(S))
      .when(b.recordStreamConnectionLost(S))
      .thenNothing();
    given(...running(), b.streamStopped(S))
      .when(b.recordStreamOpenFailed(S))
      .thenNothing();
  });
  it('says a fact about an ended stream is settled, not one about a running stream', () => {
    expect(settled(b.recordStreamClosed(S), stateOf(...running(), b.streamStopped(S)))).toBe(true);
    expect(settled(b.recordStreamClosed(S), stateOf(...running()))).toBe(false);
    expect(settled(b.recordStreamOpenFailed(S), stateOf(...running(), b.streamFailed(S)))).toBe(true);
  });
  it('the end of a leg or of the call records nothing of the stream (the gateway reports the close)', () =>
    given(...running())
      .when(b.hangup())
      .thenState((s) => expect(streamIn(s).status).toBe('started')));
});

describe('roster', () => {
  it('participants: answered parties in order with role, From/To, media and hold', () => {
    const s = stateOf(...b.bothAnswered(), b.legHeld('B'));
    expect(streamParticipants(s, { legId: '' })).toEqual([
      expect.objectContaining({
        legId: 'A',
        role: 'callee',
        fromUri: 'sip:app@127.0.0.1',
        toUri: 'sip:A@127.0.0.1',
        held: false,
      }),
      expect.objectContaining({ legId: 'B', role: 'callee', held: true }),
    ]);
    expect(streamParticipants(s, { legId: 'B' }).map((p) => p.legId)).toEqual(['B']);
  });
  it('participants: an inbound party is the caller, a three-way participant a participant, no supervisor', () => {
    const inbound = stateOf(...b.inboundRinging(), b.legAnswered('A'), ...b.monitoredCall().slice(3));
    expect(streamParticipants(inbound, { legId: '' }).map((p) => [p.legId, p.role])).toEqual([
      ['A', 'caller'],
      ['B', 'callee'],
    ]);
    const threeWay = stateOf(...b.threeWayCall());
    expect(streamParticipants(threeWay, { legId: '' }).at(-1)).toMatchObject({
      legId: 'L1',
      role: 'participant',
    });
  });
  it('context: the call id, its From and To, and the client state', () =>
    expect(streamContext(stateOf(...b.answeredA()), { clientState: 'cs' })).toEqual({
      callId: 'C1',
      from: 'sip:app@127.0.0.1',
      to: 'sip:A@127.0.0.1',
      clientState: 'cs',
    }));
  it('names the reason of a change, a transfer before the legs it moved', () => {
    expect(rosterReason([b.legEnded('B', EndCause.END_CAUSE_REMOTE_HANGUP), b.transferCompleted()])).toBe(
      'transfer',
    );
    expect(rosterReason([b.legHeld('A')])).toBe('hold');
    expect(rosterReason([b.legResumed('A')])).toBe('resume');
    expect(rosterReason([b.monitorStarted()])).toBe('monitor-joined');
    expect(rosterReason([b.legAnswered('C')])).toBe('party-joined');
    expect(rosterReason([b.dtmfReceived('A', '5')])).toBeUndefined();
  });
  const update = (history: CallEvent[], events: CallEvent[], id = S) => {
    const before = stateOf(...history);
    const after = foldEvents(events, before);
    return rosterUpdate(before, after, events, streamIn(before, id));
  };
  it('a party joining or leaving a call stream updates it; a supervisor answering does not', () => {
    const joined = update(running(), [b.legInitiated('C'), b.legAnswered('C')]);
    expect(joined?.reason).toBe('party-joined');
    expect(joined?.participants.map((p) => p.legId)).toEqual(['A', 'B', 'C']);
    const left = update(
      [...running(), b.legInitiated('C'), b.legAnswered('C')],
      [b.legEnded('C', EndCause.END_CAUSE_REMOTE_HANGUP)],
    );
    expect(left).toMatchObject({ reason: 'party-left' });
    expect(update(running(), [b.legInitiated('S9'), b.legAnswered('S9')])?.reason).toBe('party-joined');
    const supervised = [...b.monitoredCall(), b.streamRequested(S, ['A', 'B'])];
    expect(update(supervised, [b.legEnded('S1', EndCause.END_CAUSE_REMOTE_HANGUP)])).toBeUndefined();
  });
  it('a hold updates the streams carrying the held leg only; a monitor always updates', () => {
    const history = [...running(), b.streamRequested('str-a', ['A'], { legId: 'A' })];
    expect(update(history, [b.legHeld('B')])).toMatchObject({ reason: 'hold' });
    expect(update(history, [b.legHeld('B')], 'str-a')).toBeUndefined();
    expect(update(history, [b.monitorStarted()], 'str-a')).toMatchObject({ reason: 'monitor-joined' });
  });
  it('a stream that ended gets no update', () =>
    expect(
      update([...running(), b.streamStopped(S)], [b.legInitiated('C'), b.legAnswered('C')]),
    ).toBeUndefined());
  it('the call ending ends every running stream; a leg ending ends its leg streams only', () => {
    const history = stateOf(
      ...running(),
      b.streamRequested('str-a', ['A'], { legId: 'A' }),
      b.streamRequested('str-x', ['B']),
      b.streamFailed('str-x'),
    );
    expect(
      streamsEndedBy(history, [b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP)]).map((s) => s.streamId),
    ).toEqual(['str-a']);
    expect(
      streamsEndedBy(history, [
        b.legEnded('A', EndCause.END_CAUSE_REMOTE_HANGUP),
        b.callEnded(EndCause.END_CAUSE_REMOTE_HANGUP),
      ]).map((s) => s.streamId),
    ).toEqual([S, 'str-a']);
  });
  it('a digit on a leg goes to the running streams carrying it', () => {
    const s = stateOf(...running(), b.streamRequested('str-b', ['B'], { legId: 'B' }));
    expect(streamsOfLeg(s, 'A').map((st) => st.streamId)).toEqual([S]);
    expect(streamsOfLeg(s, 'B').map((st) => st.streamId)).toEqual([S, 'str-b']);
  });
});
