// Recording: a call recording (StartRecording: the conversation of the answered legs) or a segment
// (RecordLeg: what one leg says, a voicemail). The recorder runs in the recording service; the app starts,
// pauses, resumes and stops it around these decisions (app/capabilities/recordings.effects.ts), and the
// service reports what it did by itself as facts (RecordRecorderStopped, RecordRecordingSaved,
// RecordRecordingFailed).
//
// Decisions (README "Recording"):
// - A call recording runs while it is recording or paused. A stopped one is only being stored: a new
//   StartRecording may begin meanwhile (it gets its own recorder and file).
// - One call recording at a time (ALREADY_EXISTS naming the running one) and one segment per leg at a time;
//   a segment may run beside a call recording.
// - DUAL takes the call's answered legs in the order the legs were created (the first, normally the caller,
//   left), at most two: a third answered leg is not in the file. MONO mixes every answered leg.
// - The recording service's facts are recorded after the call ended too (a file is stored after the BYE).
import { isParty } from '../legs/roles';
import { callEvents } from '@callctl/proto';
import type { CallEvent } from '../../call.events';
import type { Leg } from '../../call.state';
import { answeredLeg, type Active, type Cmd, type Decision } from '../../call.guards';
import { sameRequest } from '../../idempotency';
import {
  AlreadyRunningError,
  IdempotencyConflictError,
  IllegalStateError,
  NotFoundError,
  ValidationError,
} from '../../errors';
import { activeEvolve, type DecideContext, type Started } from '../capability';
import { stopPlaybacksOn } from '../digits/prompts';
import { playbackStarted } from '../media/playback-events';
import { isFinal, isRunning, recordingFingerprint, type Recording } from './recordings.state';

const { RecordingKind, RecordingChannels, PauseMode, RecordingStopReason } = callEvents;
const none: Decision = { events: [] };

/** proto RecordLegRequest.max_length_ms: 0 = 120000, at most 3600000. */
export const DEFAULT_SEGMENT_MAX_LENGTH_MS = 120_000;
export const MAX_SEGMENT_LENGTH_MS = 3_600_000;
/** proto RecordLegRequest.silence_timeout_ms: 0 = 5000. */
export const DEFAULT_SEGMENT_SILENCE_TIMEOUT_MS = 5000;
/** proto RecordLegRequest.terminator: one of these keys, or empty. */
export const TERMINATOR_KEYS = '0123456789*#';
/** The beep played before recording (the media-worker's `tone:<Hz>:<ms>` source), and how long it lasts. */
export const BEEP_MS = 400;
export const BEEP_URI = `tone:1000:${BEEP_MS}`;
export const BEEP_SOURCE = 'beep';
/** DUAL has a left and a right channel. */
const DUAL_PARTIES = 2;

/** `rec-` and 32 hex digits, from the command's new id (a UUID: derived from the idempotency key, or random). */
export const recordingIdOf = (newId: string): string => `rec-${newId.replace(/-/g, '').toLowerCase()}`;

/** The playback of the beep on one leg of a recording: a plain playback, so its facts find it. */
export const beepPlaybackId = (recordingId: string, legId: string): string => `${recordingId}-beep-${legId}`;

type RecordingRequest = Parameters<typeof recordingFingerprint>[0] & { idempotencyKey: string };

/** The earlier result of the key when it was the same request; throws when it was another. */
function replayOf(s: Active, key: string | undefined, fp: string): Decision | undefined {
  const seen = key ? s.idempotency[key] : undefined;
  if (!seen) return undefined;
  if (!sameRequest(seen, fp))
    throw new IdempotencyConflictError(`idempotency key ${key} was used for a different request`, {
      callId: s.callId,
    });
  return { events: [], resultId: seen.resultId };
}

/** The beeps (each replacing what plays on its leg), then RecordingStarted. */
function start(
  s: Active,
  c: Cmd<'StartRecording' | 'RecordLeg'>,
  d: RecordingRequest,
  ctx: DecideContext,
): Decision {
  const recordingId = recordingIdOf(c.metadata.newId);
  const stopped = d.beep
    ? stopPlaybacksOn(s, d.legIds, c.metadata.now, activeEvolve(ctx))
    : { events: [], deadlines: [] };
  const beeps = d.beep
    ? d.legIds.map((legId) =>
        playbackStarted(s, {
          legId,
          playbackId: beepPlaybackId(recordingId, legId),
          mediaUri: BEEP_URI,
          repeat: 1,
          idempotencyKey: '',
          collectId: '',
          media: { source: BEEP_SOURCE, durationMs: BEEP_MS, ttsFallbackFrom: '' },
        }),
      )
    : [];
  const started: CallEvent = {
    type: 'RecordingStarted',
    data: { callId: s.callId, recordingId, clientState: s.clientState, ...d, legIds: [...d.legIds] },
  };
  return {
    events: [...stopped.events, ...beeps, started],
    resultId: recordingId,
    deadlines: stopped.deadlines,
  };
}

export function startRecording(s: Active, c: Cmd<'StartRecording'>, ctx: DecideContext): Decision {
  const channels = c.data.channels || RecordingChannels.RECORDING_CHANNELS_DUAL;
  const pauseMode = c.data.pauseMode || PauseMode.PAUSE_MODE_SILENCE;
  const where = { callId: s.callId };
  if (
    channels !== RecordingChannels.RECORDING_CHANNELS_DUAL &&
    channels !== RecordingChannels.RECORDING_CHANNELS_MONO
  )
    throw new ValidationError(`channels ${channels} is not MONO or DUAL`, where);
  if (pauseMode !== PauseMode.PAUSE_MODE_SILENCE && pauseMode !== PauseMode.PAUSE_MODE_CUT)
    throw new ValidationError(`pause_mode ${pauseMode} is not SILENCE or CUT`, where);
  const request = {
    kind: RecordingKind.RECORDING_KIND_CALL,
    channels,
    pauseMode,
    maxDurationMs: c.data.maxDurationMs,
    beep: c.data.beep,
    silenceTimeoutMs: 0,
    terminator: '',
  };
  const again = replayOf(s, c.metadata.idempotencyKey, recordingFingerprint({ ...request, legIds: [] }));
  if (again) return again;
  // The conversation: the answered parties (a supervisor listening in is not one of them).
  const answered = Object.values(s.legs).filter((l) => l.status === 'answered' && isParty(l));
  if (answered.length === 0)
    throw new IllegalStateError(`call ${s.callId} has no answered leg to record`, where);
  const running = Object.values(s.recordings).find((r) => r.kind === 'call' && isRunning(r));
  if (running)
    throw new AlreadyRunningError(`call ${s.callId} is already recorded by ${running.recordingId}`, where);
  const legIds = answered
    .slice(0, channels === RecordingChannels.RECORDING_CHANNELS_DUAL ? DUAL_PARTIES : undefined)
    .map((l) => l.legId);
  return start(s, c, { ...request, legIds, idempotencyKey: c.metadata.idempotencyKey ?? '' }, ctx);
}

export function recordLeg(s: Active, c: Cmd<'RecordLeg'>, ctx: DecideContext): Decision {
  const { legId } = c.data;
  const where = { callId: s.callId, legId };
  const maxDurationMs = c.data.maxLengthMs || DEFAULT_SEGMENT_MAX_LENGTH_MS;
  if (maxDurationMs > MAX_SEGMENT_LENGTH_MS)
    throw new ValidationError(
      `max_length_ms must be at most ${MAX_SEGMENT_LENGTH_MS}, got ${maxDurationMs}`,
      where,
    );
  const { terminator } = c.data;
  if (terminator && (terminator.length !== 1 || !TERMINATOR_KEYS.includes(terminator)))
    throw new ValidationError(`terminator must be one key of ${TERMINATOR_KEYS}, got "${terminator}"`, where);
  const request = {
    kind: RecordingKind.RECORDING_KIND_SEGMENT,
    legIds: [legId],
    channels: RecordingChannels.RECORDING_CHANNELS_MONO,
    pauseMode: PauseMode.PAUSE_MODE_SILENCE,
    maxDurationMs,
    beep: c.data.beep,
    silenceTimeoutMs: c.data.silenceTimeoutMs || DEFAULT_SEGMENT_SILENCE_TIMEOUT_MS,
    terminator,
  };
  const again = replayOf(s, c.metadata.idempotencyKey, recordingFingerprint(request));
  if (again) return again;
  answeredLeg(s, legId, 'be recorded');
  const running = Object.values(s.recordings).find(
    (r) => r.kind === 'segment' && r.legIds[0] === legId && isRunning(r),
  );
  if (running)
    throw new AlreadyRunningError(`leg ${legId} is already recorded by ${running.recordingId}`, where);
  return start(s, c, { ...request, idempotencyKey: c.metadata.idempotencyKey ?? '' }, ctx);
}

function recordingOf(s: Started, recordingId: string): Recording {
  if (!recordingId) throw new ValidationError('recording_id is required', { callId: s.callId });
  const r = s.recordings[recordingId];
  if (!r)
    throw new NotFoundError(`recording ${recordingId} does not exist in call ${s.callId}`, {
      callId: s.callId,
    });
  return r;
}

const base = (s: Started, r: Recording) => ({
  callId: s.callId,
  recordingId: r.recordingId,
  clientState: s.clientState,
});

export function pauseRecording(s: Active, c: Cmd<'PauseRecording'>): Decision {
  const r = recordingOf(s, c.data.recordingId);
  if (r.status !== 'recording')
    throw new IllegalStateError(`recording ${r.recordingId} is ${r.status}; only a recording one can pause`, {
      callId: s.callId,
    });
  return { events: [{ type: 'RecordingPaused', data: base(s, r) }] };
}

export function resumeRecording(s: Active, c: Cmd<'ResumeRecording'>): Decision {
  const r = recordingOf(s, c.data.recordingId);
  if (r.status !== 'paused')
    throw new IllegalStateError(`recording ${r.recordingId} is ${r.status}; only a paused one can resume`, {
      callId: s.callId,
    });
  return { events: [{ type: 'RecordingResumed', data: base(s, r) }] };
}

const stoppedEvent = (s: Started, r: Recording, reason: callEvents.RecordingStopReason): CallEvent => ({
  type: 'RecordingStopped',
  data: { ...base(s, r), reason },
});

/** Stopping one that stopped already (or ended with its call) is OK and records nothing. */
export function stopRecording(s: Started, c: Cmd<'StopRecording'>): Decision {
  const r = recordingOf(s, c.data.recordingId);
  return isRunning(r)
    ? { events: [stoppedEvent(s, r, RecordingStopReason.RECORDING_STOP_REASON_REQUESTED)] }
    : none;
}

/**
 * A fact about a recording the log does not know: the recorder was started by a command whose events were
 * never recorded (a crash between the start and the append). Nothing to record.
 */
const known = (s: Started, recordingId: string): Recording | undefined => s.recordings[recordingId];

export function recordRecorderStopped(s: Started, c: Cmd<'RecordRecorderStopped'>): Decision {
  const r = known(s, c.data.recordingId);
  return r && isRunning(r) ? { events: [stoppedEvent(s, r, c.data.reason)] } : none;
}

export function recordRecordingSaved(s: Started, c: Cmd<'RecordRecordingSaved'>): Decision {
  const r = known(s, c.data.recordingId);
  if (!r || isFinal(r) || r.savedParts.includes(c.data.part)) return none;
  return {
    events: [{ type: 'RecordingSaved', data: { ...c.data, callId: s.callId, clientState: s.clientState } }],
  };
}

export function recordRecordingFailed(s: Started, c: Cmd<'RecordRecordingFailed'>): Decision {
  const r = known(s, c.data.recordingId);
  if (!r || isFinal(r)) return none;
  return { events: [{ type: 'RecordingFailed', data: { ...base(s, r), reason: c.data.reason } }] };
}

/** Whether a fact of the recording service can never record anything on this call again. */
export const recorderStoppedSettled = (s: Started, c: Cmd<'RecordRecorderStopped'>): boolean => {
  const r = known(s, c.data.recordingId);
  return r !== undefined && !isRunning(r);
};
export const recordingSavedSettled = (s: Started, c: Cmd<'RecordRecordingSaved'>): boolean => {
  const r = known(s, c.data.recordingId);
  return r !== undefined && (isFinal(r) || r.savedParts.includes(c.data.part));
};
export const recordingFailedSettled = (s: Started, c: Cmd<'RecordRecordingFailed'>): boolean => {
  const r = known(s, c.data.recordingId);
  return r !== undefined && isFinal(r);
};

/** A leg that ends stops its segments (the call's end stops the call recordings: endCallRecordings). */
export const stopSegmentsOfLeg = (s: Active, l: Leg): CallEvent[] =>
  Object.values(s.recordings)
    .filter((r) => r.kind === 'segment' && r.legIds[0] === l.legId && isRunning(r))
    .map((r) => stoppedEvent(s, r, RecordingStopReason.RECORDING_STOP_REASON_CALL_ENDED));

export const stopCallRecordings = (s: Active): CallEvent[] =>
  Object.values(s.recordings)
    .filter((r) => r.kind === 'call' && isRunning(r))
    .map((r) => stoppedEvent(s, r, RecordingStopReason.RECORDING_STOP_REASON_CALL_ENDED));

/** A key pressed on a leg stops its segment whose terminator it is. */
export const stopSegmentsOnTerminator = (s: Active, legId: string, digit: string): CallEvent[] =>
  Object.values(s.recordings)
    .filter((r) => r.kind === 'segment' && r.legIds[0] === legId && isRunning(r) && r.terminator === digit)
    .map((r) => stoppedEvent(s, r, RecordingStopReason.RECORDING_STOP_REASON_TERMINATOR));
