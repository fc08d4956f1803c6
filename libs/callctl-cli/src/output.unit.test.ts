import { status } from '@grpc/grpc-js';
import { callControl, callEvents, mediaLibrary, recordings } from '@callctl/proto';
import { eventLine } from './event-line.js';
import { envelopeAt } from '../test/support/events.js';
import {
  callText,
  eventJson,
  grpcErrorText,
  mediaResponseText,
  recordingsResponseText,
  responseJson,
  responseText,
} from './output.js';

describe('event lines', () => {
  it('prints time, position, call id, type and the facts that matter', () => {
    const line = eventLine({
      envelope: envelopeAt('LegEnded', 42),
      event: {
        $case: 'legEnded',
        legEnded: {
          callId: 'c1',
          legId: 'b1',
          cause: callEvents.EndCause.END_CAUSE_BUSY,
          sipStatus: 486,
          reason: 'Busy Here',
          clientState: '',
        },
      },
    });
    expect(line).toBe('10:15:02.120 #42 c1 LegEnded leg=b1 cause=busy sip=486 reason="Busy Here"');
  });

  it('shows the Reason header the far end sent on LegEnded (RFC 3326)', () => {
    const line = eventLine({
      envelope: envelopeAt('LegEnded', 43),
      event: {
        $case: 'legEnded',
        legEnded: {
          callId: 'c1',
          legId: 'a1',
          cause: callEvents.EndCause.END_CAUSE_REMOTE_HANGUP,
          sipStatus: 0,
          reason: 'normal release',
          clientState: '',
          receivedReason: { protocol: 'Q.850', cause: 17, text: 'User busy' },
        },
      },
    });
    expect(line).toBe(
      '10:15:02.120 #43 c1 LegEnded leg=a1 cause=remote-hangup reason="normal release" peer-reason=Q.850;cause=17 "User busy"',
    );
  });

  it.each<[callControl.WatchEventsResponse['event'], string]>([
    [
      {
        $case: 'legInitiated',
        legInitiated: {
          callId: 'c1',
          legId: 'a1',
          direction: callEvents.LegDirection.LEG_DIRECTION_INBOUND,
          fromUri: 'sip:alice@127.0.0.1',
          toUri: 'sip:ivr@127.0.0.1',
          sipCallId: 'x',
          ringTimeoutMs: 0,
          clientState: '',
        },
      },
      'leg=a1 inbound from=sip:alice@127.0.0.1 to=sip:ivr@127.0.0.1',
    ],
    [
      {
        $case: 'legInitiated',
        legInitiated: {
          callId: 'c1',
          legId: 'a1',
          direction: callEvents.LegDirection.LEG_DIRECTION_INBOUND,
          fromUri: 'sip:alice@pbx.example.com',
          toUri: 'sip:+442071234567@pbx.example.com',
          sipCallId: 'x',
          ringTimeoutMs: 0,
          clientState: '',
          user: 'alice@pbx.example.com',
          routedTo: '+442071234567',
        },
      },
      'leg=a1 inbound from=sip:alice@pbx.example.com to=sip:+442071234567@pbx.example.com user=alice@pbx.example.com routed-to=+442071234567',
    ],
    [
      {
        $case: 'dtmfReceived',
        dtmfReceived: {
          callId: 'c1',
          legId: 'a1',
          digit: '#',
          clientState: '',
          collectId: 'k1',
          method: callEvents.DtmfMethod.DTMF_METHOD_INBAND,
        },
      },
      'leg=a1 digit=# method=inband collect=k1',
    ],
    [
      {
        $case: 'digitsCollected',
        digitsCollected: {
          callId: 'c1',
          legId: 'a1',
          collectId: 'k1',
          digits: '123',
          reason: callEvents.CollectEndReason.COLLECT_END_REASON_TERMINATOR,
          terminator: '#',
          clientState: '',
        },
      },
      'leg=a1 collect=k1 digits="123" reason=terminator terminator=#',
    ],
    [
      {
        $case: 'playbackFinished',
        playbackFinished: {
          callId: 'c1',
          legId: 'a1',
          playbackId: 'p1',
          reason: callEvents.PlaybackEndReason.PLAYBACK_END_REASON_COMPLETED,
          clientState: '',
          source: '',
          collectId: '',
        },
      },
      'leg=a1 playback=p1 reason=completed',
    ],
    [
      {
        $case: 'legsBridged',
        legsBridged: {
          callId: 'c1',
          bridgeId: 'br1',
          legAId: 'a1',
          legBId: 'b1',
          clientState: '',
          idempotencyKey: 'k',
          mediaSessionId: '',
        },
      },
      'bridge=br1 legs=a1+b1',
    ],
    [
      {
        $case: 'legMediaLost',
        legMediaLost: {
          callId: 'c1',
          legId: 'a1',
          mediaSessionId: 'c1',
          reason: 'rtpengine no longer has the session',
          clientState: '',
        },
      },
      'leg=a1 media-session=c1 reason="rtpengine no longer has the session"',
    ],
    [
      {
        $case: 'playbackStarted',
        playbackStarted: callEvents.PlaybackStarted.fromPartial({
          callId: 'c1',
          legId: 'a1',
          playbackId: 'p2',
          mediaUri: 'tts:9f2c',
          repeat: 1,
          source: 'tts:espeak/en-us',
          ttsFallbackFrom: 'polly',
          collectId: 'k1',
          durationMs: 2400,
        }),
      },
      'leg=a1 playback=p2 media=tts:9f2c source=tts:espeak/en-us fallback-from=polly collect=k1 duration=2400ms',
    ],
    [
      {
        $case: 'playbackFinished',
        playbackFinished: callEvents.PlaybackFinished.fromPartial({
          callId: 'c1',
          legId: 'a1',
          playbackId: 'p2',
          reason: callEvents.PlaybackEndReason.PLAYBACK_END_REASON_STOPPED,
          source: 'tts:espeak/en-us',
          collectId: 'k1',
        }),
      },
      'leg=a1 playback=p2 reason=stopped collect=k1',
    ],
    [
      {
        $case: 'digitCollectionStarted',
        digitCollectionStarted: callEvents.DigitCollectionStarted.fromPartial({
          callId: 'c1',
          legId: 'a1',
          collectId: 'k1',
          maxDigits: 4,
          terminators: '#',
          prompts: [{ mediaUri: 'library:m1', source: 'library' }, { mediaUri: 'tts:9f2c' }],
          bargeIn: true,
        }),
      },
      'leg=a1 collect=k1 max-digits=4 terminators="#" prompts=2 barge-in',
    ],
    [
      {
        $case: 'dtmfSent',
        dtmfSent: callEvents.DtmfSent.fromPartial({
          callId: 'c1',
          legId: 'b1',
          digits: '12#',
          method: callEvents.DtmfMethod.DTMF_METHOD_RFC4733,
          durationMs: 100,
        }),
      },
      'leg=b1 digits=12# method=rfc4733 duration=100ms',
    ],
    [
      {
        $case: 'dtmfDetectionChanged',
        dtmfDetectionChanged: { callId: 'c1', legId: 'a1', inband: true, clientState: '' },
      },
      'leg=a1 inband=on',
    ],
    [
      {
        $case: 'callMaxDurationSet',
        callMaxDurationSet: { callId: 'c1', maxDurationMs: 60_000, clientState: '' },
      },
      'max-duration=60000ms',
    ],
    [
      {
        $case: 'monitorRequested',
        monitorRequested: callEvents.MonitorRequested.fromPartial({
          callId: 'c1',
          monitorId: 'm1',
          supervisorUri: 'sip:sup@h',
          mode: callEvents.MonitorMode.MONITOR_MODE_WHISPER,
          whisperLegId: 'b1',
          supervisorLegId: 's1',
        }),
      },
      'monitor=m1 supervisor=sip:sup@h mode=whisper whisper-leg=b1 supervisor-leg=s1',
    ],
    [
      {
        $case: 'monitorEnded',
        monitorEnded: callEvents.MonitorEnded.fromPartial({
          callId: 'c1',
          monitorId: 'm1',
          reason: callEvents.MonitorEndReason.MONITOR_END_REASON_SUPERVISOR_BUSY,
          sipStatus: 486,
        }),
      },
      'monitor=m1 reason=supervisor-busy sip=486',
    ],
    [
      {
        $case: 'streamRequested',
        streamRequested: callEvents.StreamRequested.fromPartial({
          callId: 'c1',
          streamId: 'str-1',
          legIds: ['a1', 'b1'],
          url: 'wss://bot.test/in',
          tracks: callEvents.StreamTracks.STREAM_TRACKS_PER_PARTICIPANT,
          encoding: callEvents.StreamEncoding.STREAM_ENCODING_L16,
          sampleRate: 16000,
          bidirectional: true,
        }),
      },
      'stream=str-1 url=wss://bot.test/in legs=a1,b1 tracks=per-participant encoding=l16/16000 bidirectional',
    ],
    [
      {
        $case: 'streamStopped',
        streamStopped: callEvents.StreamStopped.fromPartial({
          callId: 'c1',
          streamId: 'str-1',
          reason: callEvents.StreamStopReason.STREAM_STOP_REASON_ENDPOINT_GONE,
          detail: 'close 1011 overloaded',
          framesSent: 1500,
          framesDropped: 12,
          reconnects: 2,
        }),
      },
      'stream=str-1 reason=endpoint-gone sent=1500 dropped=12 reconnects=2 detail="close 1011 overloaded"',
    ],
    [
      {
        $case: 'siprecAttemptFailed',
        siprecAttemptFailed: callEvents.SiprecAttemptFailed.fromPartial({
          callId: 'c1',
          siprecId: 'srec-1',
          srsUri: 'sip:srs1@h',
          sipStatus: 503,
        }),
      },
      'siprec=srec-1 srs=sip:srs1@h sip=503',
    ],
  ])('event %# prints its facts', (event, details) => {
    expect(eventLine({ envelope: envelopeAt('X', 7), event })).toBe(`10:15:02.120 #7 c1 X ${details}`);
  });

  it('still prints an event type this version does not know, from its envelope', () => {
    expect(eventLine({ envelope: envelopeAt('LegHeld', 9), event: undefined })).toBe(
      '10:15:02.120 #9 call-c1 LegHeld (not known to this callctl version)',
    );
  });

  it('prints an event as one line of proto3 JSON with --json', () => {
    const json = eventJson({
      envelope: envelopeAt('LegAnswered', 3),
      event: { $case: 'legAnswered', legAnswered: { callId: 'c1', legId: 'a1', clientState: '' } },
    });
    expect(json).not.toContain('\n');
    expect(JSON.parse(json)).toMatchObject({
      envelope: { globalPosition: 3, type: 'LegAnswered' },
      legAnswered: { callId: 'c1', legId: 'a1' },
    });
  });
});

describe('responses', () => {
  const call: callControl.Call = {
    callId: 'c1',
    clientState: 'order-7',
    ended: false,
    endCause: 0,
    legs: [
      {
        legId: 'a1',
        direction: callEvents.LegDirection.LEG_DIRECTION_INBOUND,
        fromUri: 'sip:alice@127.0.0.1',
        toUri: 'sip:ivr@127.0.0.1',
        state: callControl.LegState.LEG_STATE_ANSWERED,
        earlyMedia: false,
        endCause: 0,
        sipStatus: 0,
        bridgedWithLegId: 'b1',
        inbandDtmf: true,
        initiatedAt: undefined,
        answeredAt: undefined,
        endedAt: undefined,
      },
      {
        legId: 'b1',
        direction: callEvents.LegDirection.LEG_DIRECTION_OUTBOUND,
        fromUri: 'sip:ivr@127.0.0.1',
        toUri: 'sip:bob@127.0.0.1',
        state: callControl.LegState.LEG_STATE_ENDED,
        earlyMedia: false,
        endCause: callEvents.EndCause.END_CAUSE_NO_ANSWER,
        sipStatus: 487,
        bridgedWithLegId: '',
        inbandDtmf: false,
        initiatedAt: undefined,
        answeredAt: undefined,
        endedAt: undefined,
      },
    ],
    hangupDeadline: undefined,
    createdAt: new Date('2026-11-23T10:00:00.000Z'),
    endedAt: undefined,
    version: 6,
  };

  it('prints a call as a header line and one line per leg', () => {
    expect(callText(call).split('\n')).toEqual([
      'call c1 active version=6 created=2026-11-23T10:00:00.000Z client-state="order-7"',
      '  leg a1 inbound answered from=sip:alice@127.0.0.1 to=sip:ivr@127.0.0.1 bridged-with=b1 inband-dtmf',
      '  leg b1 outbound ended from=sip:ivr@127.0.0.1 to=sip:bob@127.0.0.1 cause=no-answer sip=487',
    ]);
  });

  it("names a participant leg's participant, and what AddParticipant created", () => {
    const participant = {
      ...call.legs[0]!,
      legId: 'p1',
      bridgedWithLegId: '',
      inbandDtmf: false,
      role: callEvents.LegRole.LEG_ROLE_PARTICIPANT,
      participantId: 'par-9',
    };
    expect(callText({ ...call, legs: [participant] }).split('\n')[1]).toBe(
      '  leg p1 inbound answered from=sip:alice@127.0.0.1 to=sip:ivr@127.0.0.1 participant=par-9',
    );
    const add = { method: 'addParticipant' as const, request: {} as callControl.AddParticipantRequest };
    expect(responseText(add, { participantId: 'par-9', legId: 'p1' })).toBe('participant par-9 leg p1');
  });

  it('prints what a command created, "ok" for the rest, and the next page of a list', () => {
    const dial = { method: 'createCall' as const, request: {} as callControl.CreateCallRequest };
    expect(responseText(dial, { callId: 'c1', legId: 'a1' })).toBe('call c1 leg a1');
    expect(responseText({ method: 'hangup', request: { callId: 'c1', legId: '' } }, {})).toBe('ok');
    const list = { method: 'listCalls' as const, request: { pageSize: 0, pageToken: '' } };
    expect(responseText(list, { calls: [], nextPageToken: '' })).toBe('no active calls');
    expect(
      responseText(list, { calls: [call], nextPageToken: 'p2' })
        .split('\n')
        .at(-1),
    ).toBe('more: --page-token p2');
    expect(JSON.parse(responseJson('createCall', { callId: 'c1', legId: 'a1' }))).toEqual({
      callId: 'c1',
      legId: 'a1',
    });
  });

  it('prints a media file as one line of its facts, a list with its next page, "ok" for a delete', () => {
    const media = mediaLibrary.MediaInfo.fromPartial({
      mediaId: 'm1',
      name: 'welcome prompt.mp3',
      uploadedFormat: 'mp3',
      uploadedBytes: 48213,
      durationMs: 3010,
      sampleRateHz: 8000,
      createdAt: new Date('2026-11-23T10:00:00.000Z'),
    });
    const line =
      'media m1 name="welcome prompt.mp3" format=mp3 bytes=48213 duration=3010ms rate=8000Hz created=2026-11-23T10:00:00.000Z';
    expect(mediaResponseText('uploadMedia', { media })).toBe(line);
    expect(mediaResponseText('getMedia', { media })).toBe(line);
    expect(
      mediaResponseText('listMedia', { media: [media, media], nextPageToken: 't2' }).split('\n'),
    ).toEqual([line, line, 'more: --page-token t2']);
    expect(mediaResponseText('listMedia', { media: [], nextPageToken: '' })).toBe('no media');
    expect(mediaResponseText('deleteMedia', {})).toBe('ok');
    expect(JSON.parse(responseJson('getMedia', { media }))).toEqual({
      media: {
        mediaId: 'm1',
        name: 'welcome prompt.mp3',
        uploadedFormat: 'mp3',
        uploadedBytes: 48213,
        durationMs: 3010,
        sampleRateHz: 8000,
        createdAt: '2026-11-23T10:00:00.000Z',
      },
    });
  });

  it('prints a recording with its parts and pauses, a list with its next page, "ok" for a delete', () => {
    const recording = recordings.Recording.fromPartial({
      recordingId: 'rec-1',
      callId: 'c1',
      kind: callEvents.RecordingKind.RECORDING_KIND_CALL,
      legIds: ['a1', 'b1'],
      channels: callEvents.RecordingChannels.RECORDING_CHANNELS_DUAL,
      status: recordings.RecordingStatus.RECORDING_STATUS_SAVED,
      stopReason: callEvents.RecordingStopReason.RECORDING_STOP_REASON_CALL_ENDED,
      durationMs: 5000,
      bytes: 160_088,
      startedAt: new Date('2026-12-06T10:00:00.000Z'),
      endedAt: new Date('2026-12-06T10:00:05.000Z'),
      parts: [{ part: 1, saved: true, durationMs: 5000, bytes: 160_088, sha256: 'ab12' }],
      pauses: [{ offsetMs: 1000, durationMs: 500, part: 1 }],
    });
    const lines = [
      'recording rec-1 call=c1 kind=call legs=a1,b1 status=saved channels=dual duration=5000ms bytes=160088 started=2026-12-06T10:00:00.000Z ended=2026-12-06T10:00:05.000Z stop=call-ended',
      '  part 1 saved duration=5000ms bytes=160088 sha256=ab12',
      '  pause at=1000ms duration=500ms part=1',
    ];
    expect(recordingsResponseText('getRecording', { recording }).split('\n')).toEqual(lines);
    expect(
      recordingsResponseText('listRecordings', { recordings: [recording], nextPageToken: 't2' }).split('\n'),
    ).toEqual([...lines, 'more: --page-token t2']);
    expect(recordingsResponseText('listRecordings', { recordings: [], nextPageToken: '' })).toBe(
      'no recordings',
    );
    expect(recordingsResponseText('deleteRecording', {})).toBe('ok');
    expect(JSON.parse(responseJson('getRecording', { recording }))).toMatchObject({
      recording: { recordingId: 'rec-1', status: 'RECORDING_STATUS_SAVED', legIds: ['a1', 'b1'] },
    });
  });

  it('prints what StartRecording and RecordLeg answered', () => {
    const call = { method: 'startRecording', request: {} } as const;
    expect(responseText(call, { recordingId: 'rec-1' })).toBe('recording rec-1');
  });

  it('prints a gRPC error as its code name and the server message', () => {
    expect(grpcErrorText({ code: status.FAILED_PRECONDITION, details: 'leg a1 is answered' })).toBe(
      'error: FAILED_PRECONDITION: leg a1 is answered',
    );
    expect(grpcErrorText({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' })).toBe(
      'error: DEADLINE_EXCEEDED: Deadline exceeded',
    );
  });
});
