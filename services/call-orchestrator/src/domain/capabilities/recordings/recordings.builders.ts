// One-line test builders of recordings: events and commands. Recording ids come from the command's new id
// (recordingIdOf): newId 'R1' gives 'rec-r1'.
import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../../call.commands';
import type { CallEvent } from '../../call.events';
import { base, meta } from '../../testing/builder-base';
import { BEEP_URI, beepPlaybackId } from './recordings.decide';

const { RecordingKind, RecordingChannels, PauseMode, RecordingStopReason } = callEvents;
export { RecordingKind, RecordingChannels, PauseMode, RecordingStopReason };

export const callRecordingStarted = (
  recordingId: string,
  legIds: string[],
  o: Partial<Extract<CallEvent, { type: 'RecordingStarted' }>['data']> = {},
): CallEvent => ({
  type: 'RecordingStarted',
  data: {
    ...base,
    recordingId,
    kind: RecordingKind.RECORDING_KIND_CALL,
    legIds,
    channels: RecordingChannels.RECORDING_CHANNELS_DUAL,
    pauseMode: PauseMode.PAUSE_MODE_SILENCE,
    maxDurationMs: 0,
    beep: false,
    silenceTimeoutMs: 0,
    terminator: '',
    idempotencyKey: '',
    ...o,
  },
});

export const segmentStarted = (
  recordingId: string,
  legId: string,
  o: Partial<Extract<CallEvent, { type: 'RecordingStarted' }>['data']> = {},
): CallEvent =>
  callRecordingStarted(recordingId, [legId], {
    kind: RecordingKind.RECORDING_KIND_SEGMENT,
    channels: RecordingChannels.RECORDING_CHANNELS_MONO,
    maxDurationMs: 120_000,
    silenceTimeoutMs: 5000,
    ...o,
  });

export const beepStarted = (recordingId: string, legId: string): CallEvent => ({
  type: 'PlaybackStarted',
  data: {
    ...base,
    legId,
    playbackId: beepPlaybackId(recordingId, legId),
    mediaUri: BEEP_URI,
    repeat: 1,
    idempotencyKey: '',
    source: 'beep',
    ttsFallbackFrom: '',
    collectId: '',
    durationMs: 400,
    requestFingerprint: '',
  },
});

export const recordingPaused = (recordingId: string): CallEvent => ({
  type: 'RecordingPaused',
  data: { ...base, recordingId },
});
export const recordingResumed = (recordingId: string): CallEvent => ({
  type: 'RecordingResumed',
  data: { ...base, recordingId },
});
export const recordingStopped = (
  recordingId: string,
  reason: callEvents.RecordingStopReason = RecordingStopReason.RECORDING_STOP_REASON_REQUESTED,
): CallEvent => ({ type: 'RecordingStopped', data: { ...base, recordingId, reason } });

export const savedPart = (
  recordingId: string,
  part = 1,
  final = true,
): Extract<CallCommand, { type: 'RecordRecordingSaved' }>['data'] => ({
  recordingId,
  part,
  final,
  partial: !final,
  durationMs: 1000,
  channels: 2,
  sampleRateHz: 8000,
  bytes: 32_044,
  sha256: 'ab'.repeat(32),
  totalDurationMs: 1000 * part,
});
export const recordingSaved = (recordingId: string, part = 1, final = true): CallEvent => ({
  type: 'RecordingSaved',
  data: { ...base, ...savedPart(recordingId, part, final) },
});
export const recordingFailed = (recordingId: string, reason = 'disk full'): CallEvent => ({
  type: 'RecordingFailed',
  data: { ...base, recordingId, reason },
});

export const startRecording = (
  o: Partial<Extract<CallCommand, { type: 'StartRecording' }>['data']> = {},
  newId = 'R1',
  key?: string,
): CallCommand => ({
  type: 'StartRecording',
  data: { channels: 0, maxDurationMs: 0, beep: false, pauseMode: 0, ...o },
  metadata: meta(newId, key),
});
export const recordLeg = (
  legId: string,
  o: Partial<Extract<CallCommand, { type: 'RecordLeg' }>['data']> = {},
  newId = 'S1',
  key?: string,
): CallCommand => ({
  type: 'RecordLeg',
  data: { legId, beep: false, maxLengthMs: 0, silenceTimeoutMs: 0, terminator: '', ...o },
  metadata: meta(newId, key),
});
const byId =
  <T extends 'PauseRecording' | 'ResumeRecording' | 'StopRecording'>(type: T) =>
  (recordingId: string): CallCommand =>
    ({ type, data: { recordingId }, metadata: meta() }) as CallCommand;
export const pauseRecording = byId('PauseRecording');
export const resumeRecording = byId('ResumeRecording');
export const stopRecording = byId('StopRecording');

export const recordRecorderStopped = (
  recordingId: string,
  reason: callEvents.RecordingStopReason,
): CallCommand => ({ type: 'RecordRecorderStopped', data: { recordingId, reason }, metadata: meta() });
export const recordRecordingSaved = (recordingId: string, part = 1, final = true): CallCommand => ({
  type: 'RecordRecordingSaved',
  data: savedPart(recordingId, part, final),
  metadata: meta(),
});
export const recordRecordingFailed = (recordingId: string, reason = 'disk full'): CallCommand => ({
  type: 'RecordRecordingFailed',
  data: { recordingId, reason },
  metadata: meta(),
});
