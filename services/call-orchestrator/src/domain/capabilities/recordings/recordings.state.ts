// Recordings' part of the call state: each recording by id (a call recording or a leg's segment), what it
// records and where it stands. A recording stops taking audio (stopped), then the recording service stores
// it (saved) or cannot (failed); saved and failed are final.
import { callEvents } from '@callctl/proto';
import { remember } from '../../idempotency';
import type { Evolver } from '../capability';

export type RecordingStatus = 'recording' | 'paused' | 'stopped' | 'saved' | 'failed';

export type Recording = {
  readonly recordingId: string;
  readonly kind: 'call' | 'segment';
  /** In channel order (DUAL: left, right); a segment has one. */
  readonly legIds: readonly string[];
  readonly status: RecordingStatus;
  /** A segment's terminator key ('' = none). */
  readonly terminator: string;
  /** The parts stored so far (RecordingSaved.part): a part reported again records nothing. */
  readonly savedParts: readonly number[];
};
export type RecordingsState = { readonly recordings: Readonly<Record<string, Recording>> };

/** Still taking audio (or paused): what a StopRecording, a call's end or a leg's end stops. */
export const isRunning = (r: Recording): boolean => r.status === 'recording' || r.status === 'paused';
/** Nothing more will be recorded of it. */
export const isFinal = (r: Recording): boolean => r.status === 'saved' || r.status === 'failed';

/** What a StartRecording or RecordLeg asked for, as a retry under the same key must ask again. */
export const recordingFingerprint = (d: {
  kind: callEvents.RecordingKind;
  legIds: readonly string[];
  channels: callEvents.RecordingChannels;
  pauseMode: callEvents.PauseMode;
  maxDurationMs: number;
  beep: boolean;
  silenceTimeoutMs: number;
  terminator: string;
}) =>
  d.kind === callEvents.RecordingKind.RECORDING_KIND_SEGMENT
    ? `record-leg|${d.legIds.join(',')}|${d.beep}|${d.maxDurationMs}|${d.silenceTimeoutMs}|${d.terminator}`
    : // The legs of a call recording are what the call had: a retry after a leg answered is the same request.
      `record|${d.channels}|${d.pauseMode}|${d.maxDurationMs}|${d.beep}`;

const withStatus = (
  s: Parameters<Evolver<'RecordingPaused'>>[0],
  recordingId: string,
  change: (r: Recording) => Recording,
) => {
  const r = s.recordings[recordingId];
  return r ? { ...s, recordings: { ...s.recordings, [recordingId]: change(r) } } : s;
};

const recordingStarted: Evolver<'RecordingStarted'> = (s, { data: d }) => ({
  ...s,
  recordings: {
    ...s.recordings,
    [d.recordingId]: {
      recordingId: d.recordingId,
      kind: d.kind === callEvents.RecordingKind.RECORDING_KIND_SEGMENT ? 'segment' : 'call',
      legIds: d.legIds,
      status: 'recording',
      terminator: d.terminator,
      savedParts: [],
    },
  },
  idempotency: remember(s.idempotency, d.idempotencyKey, recordingFingerprint(d), d.recordingId),
});

const recordingPaused: Evolver<'RecordingPaused'> = (s, e) =>
  withStatus(s, e.data.recordingId, (r) => ({ ...r, status: 'paused' }));
const recordingResumed: Evolver<'RecordingResumed'> = (s, e) =>
  withStatus(s, e.data.recordingId, (r) => ({ ...r, status: 'recording' }));
const recordingStopped: Evolver<'RecordingStopped'> = (s, e) =>
  withStatus(s, e.data.recordingId, (r) => (isFinal(r) ? r : { ...r, status: 'stopped' }));
/** A part saved without `final` (the service restarted mid-recording) leaves the recording as it was. */
const recordingSaved: Evolver<'RecordingSaved'> = (s, { data: d }) =>
  withStatus(s, d.recordingId, (r) => ({
    ...r,
    status: d.final ? 'saved' : r.status,
    savedParts: [...r.savedParts, d.part],
  }));
const recordingFailed: Evolver<'RecordingFailed'> = (s, e) =>
  withStatus(s, e.data.recordingId, (r) => ({ ...r, status: 'failed' }));

export const recordingsEvolve = {
  RecordingStarted: recordingStarted,
  RecordingPaused: recordingPaused,
  RecordingResumed: recordingResumed,
  RecordingStopped: recordingStopped,
  RecordingSaved: recordingSaved,
  RecordingFailed: recordingFailed,
};
