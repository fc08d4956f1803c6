import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { recorder } from '@callctl/proto';
import { PEER_CHANNEL_OPTIONS } from '@callctl/service';
import type { RecorderPort } from '../../app/ports.js';
import { callPeer, type Unary } from '../peer-call.js';

export interface RecorderClientOptions {
  /** host:port of the recording service's gRPC server (it serves Recorder and Recordings). */
  address: string;
  /** Deadline of each call; StartRecorder resolves once the media-worker's forks are in place. */
  timeoutMs: number;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
}

/** RecorderPort over the recording service's internal Recorder (proto/callctl/recording/v1). */
export function recorderClient(options: RecorderClientOptions): RecorderPort & { close(): void } {
  const client = new recorder.RecorderClient(
    options.address,
    options.credentials ?? credentials.createInsecure(),
    // Found again within a second after a restart of the recording service (a crash is recovered there).
    PEER_CHANNEL_OPTIONS,
  );
  const call = <Req, Res>(method: Unary<Req, Res>, request: Req) =>
    callPeer('recording', method.bind(client) as Unary<Req, Res>, request, options.timeoutMs);
  return {
    startRecorder: async (r) => {
      await call<recorder.StartRecorderRequest, recorder.StartRecorderResponse>(
        client.startRecorder as Unary<recorder.StartRecorderRequest, recorder.StartRecorderResponse>,
        {
          recordingId: r.recordingId,
          callId: r.callId,
          kind: r.kind,
          parties: r.parties.map((p) => ({ legId: p.legId, media: { ...p.media } })),
          channels: r.channels,
          pauseMode: r.pauseMode,
          maxDurationMs: r.maxDurationMs,
          silenceTimeoutMs: r.silenceTimeoutMs,
          startDelayMs: r.startDelayMs,
        },
      );
    },
    pauseRecorder: async (recordingId) => {
      await call<recorder.PauseRecorderRequest, recorder.PauseRecorderResponse>(
        client.pauseRecorder as Unary<recorder.PauseRecorderRequest, recorder.PauseRecorderResponse>,
        { recordingId },
      );
    },
    resumeRecorder: async (recordingId) => {
      await call<recorder.ResumeRecorderRequest, recorder.ResumeRecorderResponse>(
        client.resumeRecorder as Unary<recorder.ResumeRecorderRequest, recorder.ResumeRecorderResponse>,
        { recordingId },
      );
    },
    stopRecorder: async (recordingId, reason, trimLastMs) => {
      await call<recorder.StopRecorderRequest, recorder.StopRecorderResponse>(
        client.stopRecorder as Unary<recorder.StopRecorderRequest, recorder.StopRecorderResponse>,
        { recordingId, reason, trimLastMs },
      );
    },
    close: () => client.close(),
  };
}
