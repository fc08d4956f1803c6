// callctl.recording.v1.Recorder (internal, for the orchestrator): start, pause, resume, stop.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { recorder } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { unaryHandler, type ServiceBinding } from '@callctl/service';
import type { Recordings } from '../../app/recordings.js';
import {
  channelsFromProto,
  kindFromProto,
  pauseModeFromProto,
  stopReasonFromProto,
} from '../../app/proto-enums.js';

export const RECORDER_SERVICE = 'callctl.recording.v1.Recorder';

export function recorderService(options: { recordings: Recordings; log: Logger }): ServiceBinding {
  const { recordings, log } = options;
  const unary = unaryHandler(log);
  const implementation: recorder.RecorderServer = {
    startRecorder: unary(
      async (r: recorder.StartRecorderRequest): Promise<recorder.StartRecorderResponse> => {
        await recordings.start({
          recordingId: r.recordingId,
          callId: r.callId,
          kind: kindFromProto(r.kind),
          parties: r.parties.map((p) => ({
            legId: p.legId,
            sessionId: p.media?.sessionId ?? '',
            tag: p.media?.tag ?? '',
          })),
          channels: channelsFromProto(r.channels),
          pauseMode: pauseModeFromProto(r.pauseMode),
          maxDurationMs: r.maxDurationMs,
          silenceTimeoutMs: r.silenceTimeoutMs,
          startDelayMs: r.startDelayMs,
        });
        return {};
      },
    ),
    pauseRecorder: unary(
      async (r: recorder.PauseRecorderRequest): Promise<recorder.PauseRecorderResponse> => {
        await recordings.pause(r.recordingId);
        return {};
      },
    ),
    resumeRecorder: unary(
      async (r: recorder.ResumeRecorderRequest): Promise<recorder.ResumeRecorderResponse> => {
        await recordings.resume(r.recordingId);
        return {};
      },
    ),
    stopRecorder: unary(async (r: recorder.StopRecorderRequest): Promise<recorder.StopRecorderResponse> => {
      await recordings.stop(r.recordingId, stopReasonFromProto(r.reason), r.trimLastMs);
      return {};
    }),
    holdsRecorder: unary(
      async (r: recorder.HoldsRecorderRequest): Promise<recorder.HoldsRecorderResponse> => ({
        held: recordings.holds(r.recordingId),
      }),
    ),
  };
  return {
    name: RECORDER_SERVICE,
    definition: recorder.RecorderService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
