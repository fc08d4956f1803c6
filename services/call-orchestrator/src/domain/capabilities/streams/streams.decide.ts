// Media streams to a customer WebSocket (StartStream, StopStream, PauseStream, ResumeStream) and the
// stream gateway's facts. The gateway runs the stream; the app opens, pauses, resumes and closes it around
// these decisions (app/capabilities/streams.effects.ts). Decisions (README "Streams"):
// - StartStream checks what the stream asks for (a ws:// or wss:// URL, an encoding and rate that exist,
//   at most 32 custom parameters of bounded size) and what it streams (one answered leg of the
//   conversation, or the call's answered parties), and records StreamRequested; the gateway's refusal
//   before the append records nothing. The same idempotency key answers the same stream id.
// - StopStream records nothing itself: the gateway is told to close the stream, and its StreamClosed fact
//   records StreamStopped with the counters (so does the end of the call or of the streamed leg).
// - Pause and resume record StreamPaused and StreamResumed after the gateway did it; again is OK.
// - The gateway's facts are recorded on an ended call too (the close comes after the BYE); a fact about a
//   stream the log does not know (a crash between OpenStream and the append) records nothing.
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import { answeredLeg, replay, type Active, type Cmd, type Decision } from '../../call.guards';
import { IllegalStateError, NotFoundError, ValidationError } from '../../errors';
import type { Started } from '../capability';
import { isStreamable, streamParticipants } from './roster';
import { isStreaming, streamFingerprint, type Stream } from './streams.state';

const { StreamTracks, StreamEncoding, StreamStopReason } = callEvents;
const none: Decision = { events: [] };

/** proto StartStreamRequest.custom_parameters: at most 32, keys ≤ 64 and values ≤ 1024 characters. */
export const MAX_CUSTOM_PARAMETERS = 32;
export const MAX_PARAMETER_KEY = 64;
export const MAX_PARAMETER_VALUE = 1024;
/** The rates each encoding has (sample_rate 0 = 8000). */
const RATES: Readonly<Record<number, readonly number[]>> = {
  [StreamEncoding.STREAM_ENCODING_PCMU]: [8000],
  [StreamEncoding.STREAM_ENCODING_L16]: [8000, 16_000],
};

/** `str-` and 32 hex digits, from the command's new id (derived from the idempotency key, or random). */
export const streamIdOf = (newId: string): string => `str-${newId.replace(/-/g, '').toLowerCase()}`;

/** The URL as recorded: parsed, ws:// or wss://, without user-info (a token in its query is kept). */
export function streamUrl(url: string, callId: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValidationError(`url "${url}" does not parse`, { callId });
  }
  if (parsed.protocol !== 'wss:' && parsed.protocol !== 'ws:')
    throw new ValidationError(`url must be wss:// (or ws:// where allowed), got ${parsed.protocol}//`, {
      callId,
    });
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

function checkParameters(params: Readonly<Record<string, string>>, callId: string): void {
  const entries = Object.entries(params);
  if (entries.length > MAX_CUSTOM_PARAMETERS)
    throw new ValidationError(`at most ${MAX_CUSTOM_PARAMETERS} custom parameters, got ${entries.length}`, {
      callId,
    });
  for (const [key, value] of entries) {
    if (!key || key.length > MAX_PARAMETER_KEY)
      throw new ValidationError(`custom parameter keys are 1 to ${MAX_PARAMETER_KEY} characters`, { callId });
    if (value.length > MAX_PARAMETER_VALUE)
      throw new ValidationError(`custom parameter ${key} is longer than ${MAX_PARAMETER_VALUE} characters`, {
        callId,
      });
  }
}

export function startStream(s: Active, c: Cmd<'StartStream'>): Decision {
  const d = c.data;
  const where = { callId: s.callId };
  const tracks = d.tracks || StreamTracks.STREAM_TRACKS_PER_PARTICIPANT;
  const encoding = d.encoding || StreamEncoding.STREAM_ENCODING_PCMU;
  const sampleRate = d.sampleRate || 8000;
  if (tracks !== StreamTracks.STREAM_TRACKS_PER_PARTICIPANT && tracks !== StreamTracks.STREAM_TRACKS_MIXED)
    throw new ValidationError(`tracks ${tracks} is not PER_PARTICIPANT or MIXED`, where);
  const rates = RATES[encoding];
  if (!rates) throw new ValidationError(`encoding ${encoding} is not PCMU or L16`, where);
  if (!rates.includes(sampleRate))
    throw new ValidationError(
      `sample_rate ${sampleRate} does not exist for ${StreamEncoding[encoding]} (${rates.join(' or ')})`,
      where,
    );
  checkParameters(d.customParameters, s.callId);
  const request = {
    legId: d.legId,
    url: streamUrl(d.url, s.callId),
    tracks,
    encoding,
    sampleRate,
    bidirectional: d.bidirectional,
    customParameters: { ...d.customParameters },
  };
  const again = c.metadata.idempotencyKey
    ? replay(s, c.metadata.idempotencyKey, streamFingerprint(request))
    : undefined;
  if (again) return again;
  if (d.legId) {
    const l = answeredLeg(s, d.legId, 'be streamed');
    if (!isStreamable(l))
      throw new ValidationError(`leg ${d.legId} is a supervisor's; supervisors are never streamed`, {
        ...where,
        legId: d.legId,
      });
  }
  const streamId = streamIdOf(c.metadata.newId);
  const clientState = d.clientState || s.clientState;
  const legIds = streamParticipants(s, { legId: d.legId }).map((p) => p.legId);
  if (legIds.length === 0)
    throw new IllegalStateError(`call ${s.callId} has no answered party to stream`, where);
  const requested: CallEvent = {
    type: 'StreamRequested',
    data: {
      callId: s.callId,
      streamId,
      legIds,
      ...request,
      idempotencyKey: c.metadata.idempotencyKey ?? '',
      clientState,
    },
  };
  return { events: [requested], resultId: streamId };
}

function streamOf(s: Started, streamId: string): Stream {
  if (!streamId) throw new ValidationError('stream_id is required', { callId: s.callId });
  const st = s.streams[streamId];
  if (!st)
    throw new NotFoundError(`stream ${streamId} does not exist in call ${s.callId}`, { callId: s.callId });
  return st;
}

const base = (s: Started, st: Stream) => ({
  callId: s.callId,
  streamId: st.streamId,
  clientState: st.clientState,
});

/** Checks the stream exists; records nothing (the gateway's StreamClosed does). Its result: still running. */
export function stopStream(s: Started, c: Cmd<'StopStream'>): Decision {
  const st = streamOf(s, c.data.streamId);
  return { events: [], resultId: isStreaming(st) ? st.streamId : '' };
}

export function pauseStream(s: Active, c: Cmd<'PauseStream'>): Decision {
  const st = streamOf(s, c.data.streamId);
  if (!isStreaming(st))
    throw new IllegalStateError(`stream ${st.streamId} has ${st.status}; only a running one can pause`, {
      callId: s.callId,
    });
  return st.paused ? none : { events: [{ type: 'StreamPaused', data: base(s, st) }] };
}

export function resumeStream(s: Active, c: Cmd<'ResumeStream'>): Decision {
  const st = streamOf(s, c.data.streamId);
  return isStreaming(st) && st.paused ? { events: [{ type: 'StreamResumed', data: base(s, st) }] } : none;
}

/** A fact about a stream the log does not know, or that has ended, records nothing. */
const running = (s: Started, streamId: string): Stream | undefined => {
  const st = s.streams[streamId];
  return st && isStreaming(st) ? st : undefined;
};

export function recordStreamConnected(s: Started, c: Cmd<'RecordStreamConnected'>): Decision {
  const st = running(s, c.data.streamId);
  // A connection reported again (a redelivery) while started records nothing; one after a reconnection does.
  if (!st || (st.status === 'started' && c.data.reconnects === 0)) return none;
  return {
    events: [{ type: 'StreamStarted', data: { ...base(s, st), reconnects: c.data.reconnects } }],
  };
}

export function recordStreamConnectionLost(s: Started, c: Cmd<'RecordStreamConnectionLost'>): Decision {
  const st = running(s, c.data.streamId);
  if (!st) return none;
  return {
    events: [
      {
        type: 'StreamReconnecting',
        data: { ...base(s, st), attempt: c.data.attempt, reason: c.data.reason },
      },
    ],
  };
}

export function recordStreamClosed(s: Started, c: Cmd<'RecordStreamClosed'>): Decision {
  const st = running(s, c.data.streamId);
  if (!st) return none;
  const { reason, detail, framesSent, framesDropped, reconnects } = c.data;
  return {
    events: [
      {
        type: 'StreamStopped',
        data: {
          ...base(s, st),
          reason: reason || StreamStopReason.STREAM_STOP_REASON_ENDPOINT_GONE,
          detail,
          framesSent,
          framesDropped,
          reconnects,
        },
      },
    ],
  };
}

export function recordStreamOpenFailed(s: Started, c: Cmd<'RecordStreamOpenFailed'>): Decision {
  const st = running(s, c.data.streamId);
  if (!st) return none;
  return { events: [{ type: 'StreamFailed', data: { ...base(s, st), reason: c.data.reason } }] };
}

/** Whether a gateway fact can never record anything on this call again: its stream has ended. */
export const streamFactSettled = (s: Started, c: { data: { streamId: string } }): boolean => {
  const st = s.streams[c.data.streamId];
  return st !== undefined && !isStreaming(st);
};
