import type { ChannelCredentials } from '@grpc/grpc-js';
import { recorder } from '@callctl/proto';
import { OwnerDirectory, PeerClients, type PeerInstance, type PeerInstances } from '@callctl/service';
import type { RecorderPort } from '../../app/ports.js';
import { callAt, ownerOf } from '../peer-call.js';

export interface RecorderClientOptions {
  /** host:port of "any" recording instance (RECORDING_GRPC): used while no instance announced itself. */
  address: string;
  /** Deadline of each call; StartRecorder resolves once the media-worker's forks are in place. */
  timeoutMs: number;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
  /** The recording instances alive now (their announcements). @default none: always `address` */
  instances?: PeerInstances;
}

const NO_INSTANCES: PeerInstances = { list: () => [] };

/**
 * RecorderPort over the recording service's internal Recorder (proto/callctl/recording/v1), across its
 * instances. The instance that starts a recording writes its file to its own spool, so pause, resume and
 * stop go to it: the one this orchestrator started it on, or the one that says it holds it. A recording
 * nobody holds (finished, or never started) is answered by any instance from the shared metadata.
 */
export function recorderClient(options: RecorderClientOptions): RecorderPort & { close(): void } {
  // Found again within a second after a restart of the recording service (a crash is recovered there).
  const clients = PeerClients.of(recorder.RecorderClient, options.credentials);
  const call = callAt('recording', clients, options.timeoutMs);
  const owners = new OwnerDirectory({
    instances: options.instances ?? NO_INSTANCES,
    fallbackAddress: options.address,
    probe: async (address, recordingId) =>
      (
        await call<recorder.HoldsRecorderRequest, recorder.HoldsRecorderResponse>(
          { name: '', address },
          (c) => c.holdsRecorder,
          { recordingId },
        )
      ).held,
  });
  // A recording nobody holds is answered from the shared metadata by any instance; one whose holder may be
  // restarting is not (the holder takes it over, and another instance's answer would be wrong meanwhile).
  const holderOf = async (recordingId: string): Promise<PeerInstance> =>
    (await ownerOf('recording', owners, recordingId, `recording ${recordingId}`)) ?? owners.candidates()[0]!;
  return {
    startRecorder: async (r) => {
      const at = owners.known(r.recordingId) ?? owners.assign(r.recordingId);
      await call<recorder.StartRecorderRequest, recorder.StartRecorderResponse>(at, (c) => c.startRecorder, {
        recordingId: r.recordingId,
        callId: r.callId,
        kind: r.kind,
        parties: r.parties.map((p) => ({ legId: p.legId, media: { ...p.media } })),
        channels: r.channels,
        pauseMode: r.pauseMode,
        maxDurationMs: r.maxDurationMs,
        silenceTimeoutMs: r.silenceTimeoutMs,
        startDelayMs: r.startDelayMs,
      });
    },
    pauseRecorder: async (recordingId) => {
      await call<recorder.PauseRecorderRequest, recorder.PauseRecorderResponse>(
        await holderOf(recordingId),
        (c) => c.pauseRecorder,
        { recordingId },
      );
    },
    resumeRecorder: async (recordingId) => {
      await call<recorder.ResumeRecorderRequest, recorder.ResumeRecorderResponse>(
        await holderOf(recordingId),
        (c) => c.resumeRecorder,
        { recordingId },
      );
    },
    stopRecorder: async (recordingId, reason, trimLastMs) => {
      await call<recorder.StopRecorderRequest, recorder.StopRecorderResponse>(
        await holderOf(recordingId),
        (c) => c.stopRecorder,
        { recordingId, reason, trimLastMs },
      );
    },
    close: () => clients.close(),
  };
}
