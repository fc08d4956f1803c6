// The promise client of the public callctl.v1.Recordings API (what StartRecording and RecordLeg recorded:
// metadata and WAV bytes). It is served on the same address as CallControl and follows the same conventions
// (ClientOptions, CallOptions, GrpcStatusError); types come from the generated service definition.
import { type ServiceError } from '@grpc/grpc-js';
import { recordings } from '@callctl/proto';
import { connectionOf } from './client-connection.js';
import { GrpcStatusError } from '@callctl/errors/grpc';
import { DEFAULT_DEADLINE_MS, type CallOptions, type ClientOptions } from './client-options.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { metadataOf, rpcName, unaryMethods, waitForReady } from './unary-call.js';

type Definition = typeof recordings.RecordingsService;

/** The unary methods of Recordings (DownloadRecording streams its bytes and has its own method). */
export type RecordingsUnaryMethod = {
  [K in keyof Definition]: Definition[K]['responseStream'] extends false ? K : never;
}[keyof Definition];
type WireRequestOf<M extends RecordingsUnaryMethod> = Parameters<Definition[M]['requestSerialize']>[0];
/** What a method takes: fields left out get their proto3 defaults. */
export type RecordingsRequestOf<M extends RecordingsUnaryMethod> = recordings.DeepPartial<WireRequestOf<M>>;
export type RecordingsResponseOf<M extends RecordingsUnaryMethod> = ReturnType<
  Definition[M]['responseDeserialize']
>;

const REQUEST_TYPES: {
  readonly [M in RecordingsUnaryMethod]: recordings.MessageFns<WireRequestOf<M>>;
} = {
  getRecording: recordings.GetRecordingRequest,
  listRecordings: recordings.ListRecordingsRequest,
  deleteRecording: recordings.DeleteRecordingRequest,
};

/** Default deadline of a download: a long recording over a slow link takes longer than a unary call. */
export const DOWNLOAD_RECORDING_DEADLINE_MS = 300_000;

type UnaryMethods = {
  readonly [M in RecordingsUnaryMethod]: (
    request: RecordingsRequestOf<M>,
    options?: CallOptions,
  ) => Promise<RecordingsResponseOf<M>>;
};

/**
 * Recordings as promises (the methods are bound). A refusal rejects with a GrpcStatusError. GetRecording,
 * ListRecordings and DeleteRecording (deleting again is OK) are retried on UNAVAILABLE.
 */
export interface RecordingsClient extends UnaryMethods {
  /**
   * The WAV bytes of one part (0 = the first), in order, as the server sends them. Not retried: a broken
   * download is started again by the caller. Deadline: the call's `deadlineMs`, else the larger of the
   * client's and DOWNLOAD_RECORDING_DEADLINE_MS. Rejects with a GrpcStatusError when the server refuses
   * (NOT_FOUND, FAILED_PRECONDITION while it records) or the stream breaks; and when it ends without the
   * message marked `last` (an incomplete file).
   */
  downloadRecording(
    request: { recordingId: string; part?: number },
    options?: CallOptions,
  ): AsyncIterable<Uint8Array>;
  /** Resolves once connected; rejects with UNAVAILABLE if not within timeoutMs. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

export type RecordingsClientOptions = ClientOptions;

export function createRecordingsClient(options: RecordingsClientOptions): RecordingsClient {
  const connection = connectionOf(options);
  const client = new recordings.RecordingsClient(options.address, connection.credentials);
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const clientDeadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;

  async function* downloadRecording(
    request: { recordingId: string; part?: number },
    callOptions: CallOptions = {},
  ): AsyncGenerator<Uint8Array> {
    const deadlineMs = callOptions.deadlineMs ?? Math.max(clientDeadlineMs, DOWNLOAD_RECORDING_DEADLINE_MS);
    const rpc = rpcName(recordings.RecordingsService.downloadRecording.path);
    const call = client.downloadRecording(
      { recordingId: request.recordingId, part: request.part ?? 0 },
      metadataOf(connection.metadata, callOptions.metadata),
      { deadline: Date.now() + deadlineMs },
    );
    const cancel = () => call.cancel();
    callOptions.signal?.addEventListener('abort', cancel, { once: true });
    let last = false;
    try {
      for await (const message of call as AsyncIterable<recordings.DownloadRecordingResponse>) {
        if (message.chunk.byteLength > 0) yield message.chunk;
        if (message.last) last = true;
      }
    } catch (error) {
      throw new GrpcStatusError(error as ServiceError, { rpc });
    } finally {
      callOptions.signal?.removeEventListener('abort', cancel);
      call.cancel(); // a consumer that stopped early: the server stops sending
    }
    if (!last) throw new Error(`${rpc} of ${request.recordingId} ended before its last message`);
  }

  const unary = unaryMethods<UnaryMethods>({
    client,
    definition: recordings.RecordingsService,
    requestTypes: REQUEST_TYPES,
    connection,
    retry,
    deadlineMs: () => clientDeadlineMs,
  });

  return {
    ...unary,
    downloadRecording,
    waitForReady: (timeoutMs) => waitForReady(client, options.address, timeoutMs),
    close: () => client.close(),
  };
}
