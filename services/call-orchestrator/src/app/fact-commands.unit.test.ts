import { callEvents, type facts } from '@callctl/proto';
import { ValidationError } from '../domain/errors.js';
import { foldEvents, initialState } from '../domain/call.state.js';
import * as b from '../domain/testing/builders.js';
import { mayTakeDigits, mediaFactCommand, recordingFactCommand, sipFactCommand } from './fact-commands.js';

const ids = { factId: 'f-1', callId: 'c-1', legId: 'l-1', sourceSequence: 0, occurredAtMs: 0 };
const offered = (extra: Partial<facts.InboundCallOffered> = {}): facts.SipFact => ({
  ...ids,
  fact: {
    $case: 'inboundCallOffered',
    inboundCallOffered: {
      fromUri: 'sip:a@x',
      toUri: 'sip:b@y',
      sipCallId: 's-1',
      fromDisplayName: '',
      headers: {},
      ...extra,
    },
  },
});

describe('SIP facts as commands', () => {
  it('records an inbound call with the leg id sip-edge chose', () => {
    const { command } = sipFactCommand(offered(), 5, 'made-id');
    expect(command).toEqual({
      type: 'RecordInboundCall',
      data: {
        callId: 'c-1',
        fromUri: 'sip:a@x',
        toUri: 'sip:b@y',
        sipCallId: 's-1',
        clientState: '',
        maxDurationMs: 0,
      },
      metadata: { now: 5, newId: 'l-1' },
    });
  });

  it("records a trunk's call with its trunk, a device's with its user and route", () => {
    expect(sipFactCommand(offered({ trunk: 'carrier' }), 5, 'n').command.data).toMatchObject({
      trunk: 'carrier',
    });
    const device = { user: 'alice@pbx.example.com', routedTo: '+442071234567' };
    const { command } = sipFactCommand(offered(device), 5, 'n');
    expect(command.data).toMatchObject(device);
    expect(command.data).not.toHaveProperty('trunk');
  });

  it('records the trunk or the user an outbound leg went to', () => {
    const sent = (extra: Partial<facts.OutboundLegSent>): facts.SipFact => ({
      ...ids,
      fact: { $case: 'outboundLegSent', outboundLegSent: { sipCallId: 's', ...extra } },
    });
    expect(sipFactCommand(sent({ trunk: 'carrier' }), 5, 'n').command.data).toEqual({
      legId: 'l-1',
      sipCallId: 's',
      trunk: 'carrier',
    });
    expect(sipFactCommand(sent({ user: 'bob@pbx.example.com' }), 5, 'n').command.data).toEqual({
      legId: 'l-1',
      sipCallId: 's',
      user: 'bob@pbx.example.com',
    });
  });

  it("records a trunk gateway's failed attempt as RecordLegAttemptFailed", () => {
    const attempt = {
      attempt: 1,
      trunk: 'carrier',
      gateway: '127.0.0.1:5080;transport=udp',
      requestUri: 'sip:442071234567@127.0.0.1:5080',
      sipStatus: 503,
      reason: 'Service Unavailable',
      failover: true,
    };
    const fact: facts.SipFact = {
      ...ids,
      fact: { $case: 'outboundAttemptFailed', outboundAttemptFailed: attempt },
    };
    expect(sipFactCommand(fact, 5, 'n').command).toEqual({
      type: 'RecordLegAttemptFailed',
      data: { legId: 'l-1', ...attempt },
      metadata: { now: 5, newId: 'n' },
    });
  });

  it("gives an inbound call the platform's maximum duration from its offer", () => {
    const { command } = sipFactCommand(offered(), 5, 'made-id', 14_400_000);
    expect(command.data).toMatchObject({ maxDurationMs: 14_400_000 });
  });

  it.each([
    [
      { $case: 'outboundLegSent', outboundLegSent: { sipCallId: 's' } },
      { type: 'RecordLegInitiated', data: { legId: 'l-1', sipCallId: 's' } },
    ],
    [
      { $case: 'legProgress', legProgress: { sipStatus: 183, earlyMedia: true } },
      { type: 'RecordLegRinging', data: { legId: 'l-1', earlyMedia: true } },
    ],
    [
      { $case: 'legAnswered', legAnswered: {} },
      { type: 'RecordLegAnswered', data: { legId: 'l-1' } },
    ],
    [
      {
        $case: 'legsBridged',
        legsBridged: { otherLegId: 'l-2', bridgeId: 'br-1', idempotencyKey: 'k', mediaSessionId: '' },
      },
      {
        type: 'RecordLegsBridged',
        data: { legAId: 'l-1', legBId: 'l-2', bridgeId: 'br-1', idempotencyKey: 'k' },
      },
    ],
    [
      {
        $case: 'legEnded',
        legEnded: { cause: callEvents.EndCause.END_CAUSE_BUSY, sipStatus: 486, reason: 'Busy Here' },
      },
      {
        type: 'RecordLegEnded',
        data: {
          legId: 'l-1',
          cause: callEvents.EndCause.END_CAUSE_BUSY,
          sipStatus: 486,
          reason: 'Busy Here',
        },
      },
    ],
    [
      {
        $case: 'legEnded',
        legEnded: {
          cause: callEvents.EndCause.END_CAUSE_REMOTE_HANGUP,
          sipStatus: 0,
          reason: 'normal release',
          receivedReason: { protocol: 'Q.850', cause: 17, text: 'User busy' },
        },
      },
      {
        type: 'RecordLegEnded',
        data: {
          legId: 'l-1',
          cause: callEvents.EndCause.END_CAUSE_REMOTE_HANGUP,
          sipStatus: 0,
          reason: 'normal release',
          receivedReason: { protocol: 'Q.850', cause: 17, text: 'User busy' },
        },
      },
    ],
    [
      { $case: 'dtmfInfoReceived', dtmfInfoReceived: { digit: '#', durationMs: 90, method: 1 } },
      {
        type: 'RecordDtmf',
        // The key's length: a segment whose terminator it is cuts that much from its end.
        data: { legId: 'l-1', digit: '#', method: callEvents.DtmfMethod.DTMF_METHOD_INFO, durationMs: 90 },
      },
    ],
  ] as const)('maps %j', (fact, expected) => {
    expect(sipFactCommand({ ...ids, fact }, 5, 'n').command).toEqual({
      ...expected,
      metadata: { now: 5, newId: 'n' },
    });
  });

  it.each([
    [
      {
        $case: 'outboundLegSent',
        outboundLegSent: { sipCallId: 's', media: { sessionId: 'c-1', tag: 'l-1' } },
      },
      {
        type: 'RecordLegInitiated',
        data: { legId: 'l-1', sipCallId: 's', media: { sessionId: 'c-1', tag: 'l-1' } },
      },
    ],
    [
      {
        $case: 'legsBridged',
        legsBridged: { otherLegId: 'l-2', bridgeId: 'br-1', idempotencyKey: 'k', mediaSessionId: 'ms-9' },
      },
      {
        type: 'RecordLegsBridged',
        data: { legAId: 'l-1', legBId: 'l-2', bridgeId: 'br-1', idempotencyKey: 'k', mediaSessionId: 'ms-9' },
      },
    ],
  ] as const)('carries where the media is: %j', (fact, expected) => {
    expect(sipFactCommand({ ...ids, fact }, 5, 'n').command).toEqual({
      ...expected,
      metadata: { now: 5, newId: 'n' },
    });
  });

  it("records where sip-edge put an inbound caller's media", () => {
    const { command } = sipFactCommand(offered({ media: { sessionId: 'ms-1', tag: 't-1' } }), 5, 'made-id');
    expect(command.data).toMatchObject({ media: { sessionId: 'ms-1', tag: 't-1' } });
  });

  it("records a phone's own hold and resume with the direction it offered", () => {
    for (const [held, direction] of [
      [true, 'sendonly'],
      [false, 'sendrecv'],
    ] as const)
      expect(
        sipFactCommand(
          { ...ids, fact: { $case: 'legHoldChanged', legHoldChanged: { held, direction } } },
          5,
          'n',
        ).command,
      ).toEqual({
        type: 'RecordLegHoldChanged',
        data: { legId: 'l-1', held, direction },
        metadata: { now: 5, newId: 'n' },
      });
  });

  it("records a phone's REFER under the REFER policy, the progress of the platform's, and legs taken apart", () => {
    const refer = sipFactCommand(
      {
        ...ids,
        fact: {
          $case: 'referReceived',
          referReceived: {
            referId: '7',
            referTo: 'sip:c@x',
            referredBy: '<sip:b@y>',
            replacesCallId: '',
            replacesLegId: '',
          },
        },
      },
      5,
      'transfer-id',
      0,
      b.ASK,
    ).command;
    expect(refer).toEqual({
      type: 'RecordReferReceived',
      data: {
        legId: 'l-1',
        referId: '7',
        referTo: 'sip:c@x',
        referredBy: '<sip:b@y>',
        replacesCallId: '',
        replacesLegId: '',
        policy: b.ASK,
      },
      metadata: { now: 5, newId: 'transfer-id' },
    });
    expect(
      sipFactCommand(
        {
          ...ids,
          fact: {
            $case: 'referProgress',
            referProgress: { transferId: 'x', sipStatus: 486, reason: 'Busy', final: true },
          },
        },
        5,
        'n',
      ).command.data,
    ).toEqual({ transferId: 'x', sipStatus: 486, reason: 'Busy', final: true });
    const media = { sessionId: 's', tag: 'l-1' };
    expect(
      sipFactCommand(
        { ...ids, fact: { $case: 'legsUnbridged', legsUnbridged: { otherLegId: 'l-2', mediaA: media } } },
        5,
        'n',
      ).command,
    ).toMatchObject({ type: 'RecordLegsUnbridged', data: { legAId: 'l-1', legBId: 'l-2', mediaA: media } });
  });

  it('refuses a fact without a leg or a body', () => {
    expect(() =>
      sipFactCommand({ ...ids, legId: '', fact: { $case: 'legAnswered', legAnswered: {} } }, 0, 'n'),
    ).toThrow(ValidationError);
    expect(() => sipFactCommand({ ...ids, fact: undefined }, 0, 'n')).toThrow(ValidationError);
  });
});

describe('media facts as commands', () => {
  /** A media fact of call c, first of its source, seen on `sessionId`. */
  const mediaFact = (fact: facts.MediaFact['fact'], sessionId = 'c'): facts.MediaFact => ({
    factId: 'f',
    sourceSequence: 0,
    occurredAtMs: 0,
    callId: 'c',
    sessionId,
    fact,
  });

  it('maps a finished playback', () => {
    const { command } = mediaFactCommand(
      mediaFact({ $case: 'playbackFinished', playbackFinished: { playbackId: 'p', failed: true } }),
      1,
      'n',
    );
    expect(command).toMatchObject({
      type: 'RecordPlaybackFinished',
      data: { playbackId: 'p', failed: true },
    });
  });

  it('takes the tag as the leg when the worker did not name it', () => {
    const { command } = mediaFactCommand(
      mediaFact({
        $case: 'dtmfDetected',
        dtmfDetected: { legId: '', tag: 'leg-7', digit: '3', durationMs: 100, method: 1 },
      }),
      1,
      'n',
    );
    expect(command).toMatchObject({ type: 'RecordDtmf', data: { legId: 'leg-7', digit: '3' } });
  });

  it('names the party the worker heard the digit on (session and tag), for the decider to find the leg', () => {
    const { command } = mediaFactCommand(
      mediaFact(
        {
          $case: 'dtmfDetected',
          dtmfDetected: { legId: '', tag: 'leg-7', digit: '3', durationMs: 100, method: 1 },
        },
        'ms-2',
      ),
      1,
      'n',
    );
    expect(command.data).toEqual({
      legId: 'leg-7',
      digit: '3',
      method: callEvents.DtmfMethod.DTMF_METHOD_RFC4733,
      party: { sessionId: 'ms-2', tag: 'leg-7' },
      durationMs: 100,
    });
  });

  it('maps a lost media session to RecordMediaSessionLost, hanging up by default', () => {
    const lost: facts.MediaFact = {
      factId: 'f',
      callId: 'c',
      sessionId: 'ms-3',
      sourceSequence: 1,
      occurredAtMs: 1,
      fact: {
        $case: 'mediaSessionLost',
        mediaSessionLost: { sessionId: 'ms-3', tags: ['leg-1', 'local-leg-1'], reason: 'gone' },
      },
    };
    expect(mediaFactCommand(lost, 1, 'n').command).toEqual({
      type: 'RecordMediaSessionLost',
      data: { sessionId: 'ms-3', tags: ['leg-1', 'local-leg-1'], reason: 'gone', action: 'hangup' },
      metadata: { now: 1, newId: 'n' },
    });
    expect(mediaFactCommand(lost, 1, 'n', 'record').command.data).toMatchObject({ action: 'record' });
  });
});

describe('a leg that may still take digits (its end waits for the other source)', () => {
  const state = (...events: Parameters<typeof foldEvents>[0]) => foldEvents(events, initialState());
  it('is one a collection runs on', () =>
    expect(mayTakeDigits(state(...b.answeredA(), b.collectStarted('A', 'D1')), 'A')).toBe(true));
  it('is not one without a collection, nor a leg of an ended call', () => {
    expect(mayTakeDigits(state(...b.answeredA()), 'A')).toBe(false);
    expect(mayTakeDigits(state(...b.answeredA(), b.collectStarted('B', 'D1')), 'A')).toBe(false);
    expect(mayTakeDigits(state(...b.answeredA(), b.callEnded(b.EndCause.END_CAUSE_REMOTE_HANGUP)), 'A')).toBe(
      false,
    );
  });
  it('is any leg of a call not known here', () => expect(mayTakeDigits(undefined, 'A')).toBe(true));
});

describe('recording facts as commands', () => {
  const recordingFact = (fact: facts.RecordingFact['fact'], extra: Partial<facts.RecordingFact> = {}) => ({
    factId: 'f-9',
    callId: 'c-1',
    recordingId: 'rec-1',
    sourceSequence: 7,
    occurredAtMs: 1234,
    fact,
    ...extra,
  });
  const part: facts.RecordingPartSaved = {
    part: 2,
    final: true,
    partial: false,
    durationMs: 1500,
    channels: 2,
    sampleRateHz: 8000,
    bytes: 48_044,
    sha256: 'ab'.repeat(32),
    totalDurationMs: 4000,
  };

  it.each([
    [
      {
        $case: 'recorderStopped',
        recorderStopped: { reason: callEvents.RecordingStopReason.RECORDING_STOP_REASON_SILENCE },
      },
      {
        type: 'RecordRecorderStopped',
        data: { recordingId: 'rec-1', reason: callEvents.RecordingStopReason.RECORDING_STOP_REASON_SILENCE },
      },
    ],
    [
      { $case: 'recordingPartSaved', recordingPartSaved: part },
      { type: 'RecordRecordingSaved', data: { recordingId: 'rec-1', ...part } },
    ],
    [
      { $case: 'recorderFailed', recorderFailed: { reason: 'fork refused' } },
      { type: 'RecordRecordingFailed', data: { recordingId: 'rec-1', reason: 'fork refused' } },
    ],
  ] as const)('maps %j', (fact, expected) => {
    const mapped = recordingFactCommand(recordingFact(fact), 5, 'n');
    expect(mapped.command).toEqual({ ...expected, metadata: { now: 5, newId: 'n' } });
    expect(mapped).toMatchObject({ callId: 'c-1', factId: 'f-9' });
  });

  it("orders them by arrival: the service's sequence counts per recording, not per call", () => {
    const { order } = recordingFactCommand(
      recordingFact({ $case: 'recorderFailed', recorderFailed: { reason: 'x' } }),
      5,
      'n',
    );
    expect(order).toEqual({ source: 'recording', sequence: 0, occurredAtMs: 1234, endsLeg: false });
  });

  it('refuses a fact without its call, its recording or its fact', () => {
    const failed = { $case: 'recorderFailed', recorderFailed: { reason: 'x' } } as const;
    expect(() => recordingFactCommand(recordingFact(failed, { callId: '' }), 5, 'n')).toThrow(
      ValidationError,
    );
    expect(() => recordingFactCommand(recordingFact(failed, { recordingId: '' }), 5, 'n')).toThrow(
      /names no recording/,
    );
    expect(() => recordingFactCommand(recordingFact(undefined), 5, 'n')).toThrow(ValidationError);
  });
});

describe('a SIPREC recording session that the SRS ended', () => {
  const ended = (legId: string): facts.SipFact => ({
    ...ids,
    legId,
    fact: {
      $case: 'recordingSessionEnded',
      recordingSessionEnded: { sessionId: 'srec-1-2', sipStatus: 0, reason: 'BYE' },
    },
  });
  it('is recorded although it names no leg (the only SIP fact that may)', () =>
    expect(sipFactCommand(ended(''), 5, 'n').command).toEqual({
      type: 'RecordSiprecSessionEnded',
      data: { sessionId: 'srec-1-2', sipStatus: 0, reason: 'BYE' },
      metadata: { now: 5, newId: 'n' },
    }));
  it('still refuses a leg fact without a leg', () =>
    expect(() =>
      sipFactCommand({ ...ids, legId: '', fact: { $case: 'legAnswered', legAnswered: {} } }, 5, 'n'),
    ).toThrow(ValidationError));
});
