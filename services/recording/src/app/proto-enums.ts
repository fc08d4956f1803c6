// The one place where the ports' string unions meet the proto enums (both directions).
import { ValidationError } from '@callctl/errors';
import { callEvents, recordings } from '@callctl/proto';
import type { ChannelLayout, PauseMode, RecordingKind, RecordingStatus, StopReason } from './ports.js';

const E = callEvents;

function table<K extends string, V extends number>(pairs: ReadonlyArray<readonly [K, V]>) {
  const toProto = new Map<K, V>(pairs);
  const fromProto = new Map<number, K>(pairs.map(([k, v]) => [v, k]));
  return {
    toProto: (value: K): V => toProto.get(value) as V,
    fromProto: (value: number, field: string, fallback?: K): K => {
      const found = fromProto.get(value) ?? fallback;
      if (found === undefined) throw new ValidationError(`${field} is missing or unknown (${value})`);
      return found;
    },
  };
}

const KINDS = table<RecordingKind, callEvents.RecordingKind>([
  ['call', E.RecordingKind.RECORDING_KIND_CALL],
  ['segment', E.RecordingKind.RECORDING_KIND_SEGMENT],
]);
const CHANNELS = table<ChannelLayout, callEvents.RecordingChannels>([
  ['mono', E.RecordingChannels.RECORDING_CHANNELS_MONO],
  ['dual', E.RecordingChannels.RECORDING_CHANNELS_DUAL],
]);
const PAUSE_MODES = table<PauseMode, callEvents.PauseMode>([
  ['silence', E.PauseMode.PAUSE_MODE_SILENCE],
  ['cut', E.PauseMode.PAUSE_MODE_CUT],
]);
const STOP_REASONS = table<StopReason, callEvents.RecordingStopReason>([
  ['requested', E.RecordingStopReason.RECORDING_STOP_REASON_REQUESTED],
  ['call_ended', E.RecordingStopReason.RECORDING_STOP_REASON_CALL_ENDED],
  ['max_duration', E.RecordingStopReason.RECORDING_STOP_REASON_MAX_DURATION],
  ['silence', E.RecordingStopReason.RECORDING_STOP_REASON_SILENCE],
  ['terminator', E.RecordingStopReason.RECORDING_STOP_REASON_TERMINATOR],
  ['media_ended', E.RecordingStopReason.RECORDING_STOP_REASON_MEDIA_ENDED],
]);
const STATUSES = table<RecordingStatus, recordings.RecordingStatus>([
  ['recording', recordings.RecordingStatus.RECORDING_STATUS_RECORDING],
  ['paused', recordings.RecordingStatus.RECORDING_STATUS_PAUSED],
  ['saved', recordings.RecordingStatus.RECORDING_STATUS_SAVED],
  ['failed', recordings.RecordingStatus.RECORDING_STATUS_FAILED],
]);

export const kindToProto = KINDS.toProto;
export const kindFromProto = (v: number) => KINDS.fromProto(v, 'kind');
export const channelsToProto = CHANNELS.toProto;
export const channelsFromProto = (v: number) => CHANNELS.fromProto(v, 'channels');
export const pauseModeToProto = PAUSE_MODES.toProto;
/** Unspecified is the default, SILENCE (recordings.proto). */
export const pauseModeFromProto = (v: number) =>
  PAUSE_MODES.fromProto(v, 'pause_mode', v === 0 ? 'silence' : undefined);
export const stopReasonToProto = STOP_REASONS.toProto;
/** Unspecified in StopRecorder is a plain request. */
export const stopReasonFromProto = (v: number) =>
  STOP_REASONS.fromProto(v, 'reason', v === 0 ? 'requested' : undefined);
export const statusToProto = STATUSES.toProto;
