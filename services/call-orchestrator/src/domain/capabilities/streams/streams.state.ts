// Streams' part of the call state: each media stream to a customer WebSocket by id, what it streams (the
// whole call or one leg) and where it stands. A stream runs from StreamRequested until StreamStopped or
// StreamFailed, both final; pausing is a flag beside the status (a paused stream may be reconnecting).
import type { callEvents } from '@callctl/proto';
import { remember } from '../../idempotency';
import type { Evolver, Started } from '../capability';

export type StreamStatus = 'requested' | 'started' | 'reconnecting' | 'stopped' | 'failed';

export type Stream = {
  readonly streamId: string;
  /** The streamed leg; '' = the whole call (its parties now, joiners included). */
  readonly legId: string;
  readonly bidirectional: boolean;
  readonly status: StreamStatus;
  readonly paused: boolean;
  /** What the stream's events carry (the request's, else the call's when it was requested). */
  readonly clientState: string;
};
export type StreamsState = { readonly streams: Readonly<Record<string, Stream>> };

/** Not yet stopped or failed: what StopStream, the call's end and the roster updates concern. */
export const isStreaming = (st: Stream): boolean =>
  st.status === 'requested' || st.status === 'started' || st.status === 'reconnecting';

/** What a StartStream asked for, as a retry under the same key must ask again (the authorization aside). */
export const streamFingerprint = (
  d: Pick<
    callEvents.StreamRequested,
    'legId' | 'url' | 'tracks' | 'encoding' | 'sampleRate' | 'bidirectional' | 'customParameters'
  >,
): string =>
  [
    'stream',
    d.legId,
    d.url,
    d.tracks,
    d.encoding,
    d.sampleRate,
    d.bidirectional,
    JSON.stringify(Object.entries(d.customParameters).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  ].join('|');

const withStream = (s: Started, streamId: string, change: (st: Stream) => Stream): Started => {
  const st = s.streams[streamId];
  return st ? { ...s, streams: { ...s.streams, [streamId]: change(st) } } : s;
};
/** A final stream stays as it ended. */
const whileStreaming = (change: (st: Stream) => Stream) => (st: Stream) =>
  isStreaming(st) ? change(st) : st;

const streamRequested: Evolver<'StreamRequested'> = (s, { data: d }) => ({
  ...s,
  streams: {
    ...s.streams,
    [d.streamId]: {
      streamId: d.streamId,
      legId: d.legId,
      bidirectional: d.bidirectional,
      status: 'requested',
      paused: false,
      clientState: d.clientState,
    },
  },
  idempotency: remember(s.idempotency, d.idempotencyKey, streamFingerprint(d), d.streamId),
});

/** An evolver that changes the (still running) stream the event names. */
const onStream =
  (change: (st: Stream) => Stream) =>
  (s: Started, e: { readonly data: { readonly streamId: string } }): Started =>
    withStream(s, e.data.streamId, whileStreaming(change));

export const streamsEvolve = {
  StreamRequested: streamRequested,
  StreamStarted: onStream((st) => ({ ...st, status: 'started' })),
  StreamReconnecting: onStream((st) => ({ ...st, status: 'reconnecting' })),
  StreamPaused: onStream((st) => ({ ...st, paused: true })),
  StreamResumed: onStream((st) => ({ ...st, paused: false })),
  StreamStopped: onStream((st) => ({ ...st, status: 'stopped' })),
  StreamFailed: onStream((st) => ({ ...st, status: 'failed' })),
};
