// Recordings of the call's conversation and of one leg (voicemail). The recording service's facts are
// decided on an ended call too (onStarted, not untilEnded): a file is stored after the BYE.
import { onActive, onStarted, type Capability } from '../capability';
import * as rec from './recordings.decide';
import { recordingsEvolve } from './recordings.state';

type RecordingsCommand =
  | 'StartRecording'
  | 'RecordLeg'
  | 'PauseRecording'
  | 'ResumeRecording'
  | 'StopRecording'
  | 'RecordRecorderStopped'
  | 'RecordRecordingSaved'
  | 'RecordRecordingFailed';

export const recordingsCapability: Capability<RecordingsCommand, keyof typeof recordingsEvolve> = {
  name: 'recordings',
  decide: {
    StartRecording: onActive(rec.startRecording),
    RecordLeg: onActive(rec.recordLeg),
    PauseRecording: onActive(rec.pauseRecording),
    ResumeRecording: onActive(rec.resumeRecording),
    // Stopping a recording that ended with its call is OK.
    StopRecording: onStarted(rec.stopRecording),
    RecordRecorderStopped: onStarted(rec.recordRecorderStopped),
    RecordRecordingSaved: onStarted(rec.recordRecordingSaved),
    RecordRecordingFailed: onStarted(rec.recordRecordingFailed),
  },
  evolve: recordingsEvolve,
  initial: { recordings: {} },
  settled: {
    RecordRecorderStopped: rec.recorderStoppedSettled,
    RecordRecordingSaved: rec.recordingSavedSettled,
    RecordRecordingFailed: rec.recordingFailedSettled,
  },
  onLegEnded: rec.stopSegmentsOfLeg,
  onCallEnded: rec.stopCallRecordings,
  onDigit: rec.stopSegmentsOnTerminator,
};
