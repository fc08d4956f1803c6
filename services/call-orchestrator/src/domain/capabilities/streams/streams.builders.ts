// One-line test builders of streams: events and commands. Stream ids come from the command's new id
// (streamIdOf): newId 'S1' gives 'str-s1'.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta } from '../../testing/builder-base';

const { StreamTracks, StreamEncoding, StreamStopReason } = callEvents;
export { StreamTracks, StreamEncoding, StreamStopReason };

export const STREAM_URL = 'wss://bot.example.com/media';

type StartData = Extract<CallCommand, { type: 'StartStream' }>['data'];
export const startStream = (o: Partial<StartData> = {}, newId = 'S1', key?: string): CallCommand => ({
  type: 'StartStream',
  data: {
    legId: '',
    url: STREAM_URL,
    tracks: 0,
    encoding: 0,
    sampleRate: 0,
    bidirectional: false,
    customParameters: {},
    authorization: '',
    clientState: '',
    ...o,
  },
  metadata: meta(newId, key),
});

export const streamRequested = (
  streamId: string,
  legIds: string[],
  o: Partial<Extract<CallEvent, { type: 'StreamRequested' }>['data']> = {},
): CallEvent => ({
  type: 'StreamRequested',
  data: {
    ...base,
    streamId,
    legIds,
    legId: '',
    url: STREAM_URL,
    tracks: StreamTracks.STREAM_TRACKS_PER_PARTICIPANT,
    encoding: StreamEncoding.STREAM_ENCODING_PCMU,
    sampleRate: 8000,
    bidirectional: false,
    customParameters: {},
    idempotencyKey: '',
    ...o,
  },
});

export const streamStarted = (streamId: string, reconnects = 0): CallEvent => ({
  type: 'StreamStarted',
  data: { ...base, streamId, reconnects },
});
export const streamReconnecting = (streamId: string, attempt = 1, reason = 'closed 1006'): CallEvent => ({
  type: 'StreamReconnecting',
  data: { ...base, streamId, attempt, reason },
});
export const streamPaused = (streamId: string): CallEvent => ({
  type: 'StreamPaused',
  data: { ...base, streamId },
});
export const streamResumed = (streamId: string): CallEvent => ({
  type: 'StreamResumed',
  data: { ...base, streamId },
});
export const streamStopped = (
  streamId: string,
  reason: callEvents.StreamStopReason = StreamStopReason.STREAM_STOP_REASON_REQUESTED,
  o: Partial<Extract<CallEvent, { type: 'StreamStopped' }>['data']> = {},
): CallEvent => ({
  type: 'StreamStopped',
  data: { ...base, streamId, reason, detail: '', framesSent: 0, framesDropped: 0, reconnects: 0, ...o },
});
export const streamFailed = (streamId: string, reason = 'connect ECONNREFUSED'): CallEvent => ({
  type: 'StreamFailed',
  data: { ...base, streamId, reason },
});

const byStream =
  <T extends 'StopStream' | 'PauseStream' | 'ResumeStream'>(type: T) =>
  (streamId: string): CallCommand =>
    ({ type, data: { streamId }, metadata: meta() }) as CallCommand;
export const stopStream = byStream('StopStream');
export const pauseStream = byStream('PauseStream');
export const resumeStream = byStream('ResumeStream');

export const recordStreamConnected = (streamId: string, reconnects = 0): CallCommand => ({
  type: 'RecordStreamConnected',
  data: { streamId, reconnects },
  metadata: meta(),
});
export const recordStreamConnectionLost = (
  streamId: string,
  attempt = 1,
  reason = 'closed 1006',
): CallCommand => ({
  type: 'RecordStreamConnectionLost',
  data: { streamId, attempt, reason },
  metadata: meta(),
});
export const recordStreamClosed = (
  streamId: string,
  reason: callEvents.StreamStopReason = StreamStopReason.STREAM_STOP_REASON_REQUESTED,
  counters: { framesSent?: number; framesDropped?: number; reconnects?: number; detail?: string } = {},
): CallCommand => ({
  type: 'RecordStreamClosed',
  data: { streamId, reason, detail: '', framesSent: 0, framesDropped: 0, reconnects: 0, ...counters },
  metadata: meta(),
});
export const recordStreamOpenFailed = (streamId: string, reason = 'connect ECONNREFUSED'): CallCommand => ({
  type: 'RecordStreamOpenFailed',
  data: { streamId, reason },
  metadata: meta(),
});
