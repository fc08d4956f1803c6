import { checkStartRecording, partiesBySession, type StartRecording } from './recording-request';
import { stopReasonFromProto, stopReasonToProto } from './proto-enums';

const request = (overrides: Partial<StartRecording> = {}): StartRecording => ({
  recordingId: `rec-${'0123456789abcdef'.repeat(2)}`,
  callId: 'call-1',
  kind: 'call',
  parties: [
    { legId: 'a', sessionId: 's1', tag: 'ta' },
    { legId: 'b', sessionId: 's1', tag: 'tb' },
  ],
  channels: 'dual',
  pauseMode: 'silence',
  maxDurationMs: 0,
  silenceTimeoutMs: 0,
  startDelayMs: 0,
  ...overrides,
});

describe('StartRecorder request', () => {
  it('takes a well-formed call recording', () => expect(() => checkStartRecording(request())).not.toThrow());

  it('takes DUAL with one party (an IVR caller: left, the right channel silent)', () =>
    expect(() =>
      checkStartRecording(request({ parties: [{ legId: 'a', sessionId: 's1', tag: 'ta' }] })),
    ).not.toThrow());

  it.each([
    ['a malformed recording id', { recordingId: 'rec-123' }, /recording_id/],
    ['a call id that cannot be a subject token', { callId: 'a.b' }, /call_id/],
    ['no parties', { parties: [] }, /at least one party/],
    [
      'a party without its media',
      { parties: [{ legId: 'a', sessionId: '', tag: 'ta' }], channels: 'mono' as const },
      /session_id/,
    ],
    [
      'DUAL with three parties',
      {
        parties: [
          { legId: 'a', sessionId: 's1', tag: 'ta' },
          { legId: 'b', sessionId: 's1', tag: 'tb' },
          { legId: 'c', sessionId: 's1', tag: 'tc' },
        ],
      },
      /one or two parties/,
    ],
    [
      'a party named twice',
      {
        parties: [
          { legId: 'a', sessionId: 's1', tag: 'ta' },
          { legId: 'b', sessionId: 's1', tag: 'ta' },
        ],
      },
      /twice/,
    ],
    ['a DUAL segment', { kind: 'segment' as const }, /segment records one party/],
    ['a silence timeout on a call recording', { silenceTimeoutMs: 3000 }, /for segments/],
  ])('refuses %s', (_, overrides, message) =>
    expect(() => checkStartRecording(request(overrides))).toThrow(message),
  );

  it('groups parties by media session, keeping their channels', () =>
    expect(
      partiesBySession([
        { legId: 'a', sessionId: 's1', tag: 'ta' },
        { legId: 'b', sessionId: 's2', tag: 'tb' },
      ]).map((s) => [s.sessionId, s.members.map((m) => m.channel)]),
    ).toEqual([
      ['s1', [0]],
      ['s2', [1]],
    ]));

  it('maps every stop reason to its proto enum and back; unspecified is a plain request', () => {
    for (const reason of [
      'requested',
      'call_ended',
      'max_duration',
      'silence',
      'terminator',
      'media_ended',
    ] as const)
      expect(stopReasonFromProto(stopReasonToProto(reason))).toBe(reason);
    expect(stopReasonFromProto(0)).toBe('requested');
    expect(() => stopReasonFromProto(99)).toThrow(/reason/);
  });
});
