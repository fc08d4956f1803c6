// The promise client of the public callctl.v1.MediaLibrary API (prompts uploaded once, played by id). It is
// served on the same address as CallControl and follows the same conventions (ClientOptions, CallOptions,
// GrpcStatusError); types come from the generated service definition (@callctl/proto).
import { type ServiceError } from '@grpc/grpc-js';
import { mediaLibrary } from '@callctl/proto';
import { connectionOf } from './client-connection.js';
import { GrpcStatusError } from '@callctl/errors/grpc';
import { DEFAULT_DEADLINE_MS, type CallOptions, type ClientOptions } from './client-options.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { metadataOf, rpcName, unaryMethods, waitForReady } from './unary-call.js';

type Definition = typeof mediaLibrary.MediaLibraryService;

/** The unary methods of MediaLibrary (UploadMedia streams its bytes and has its own method). */
export type MediaUnaryMethod = {
  [K in keyof Definition]: Definition[K]['requestStream'] extends false ? K : never;
}[keyof Definition];
type WireRequestOf<M extends MediaUnaryMethod> = Parameters<Definition[M]['requestSerialize']>[0];
/** What a method takes: fields left out get their proto3 defaults. */
export type MediaRequestOf<M extends MediaUnaryMethod> = mediaLibrary.DeepPartial<WireRequestOf<M>>;
export type MediaResponseOf<M extends MediaUnaryMethod> = ReturnType<Definition[M]['responseDeserialize']>;

const REQUEST_TYPES: { readonly [M in MediaUnaryMethod]: mediaLibrary.MessageFns<WireRequestOf<M>> } = {
  listMedia: mediaLibrary.ListMediaRequest,
  getMedia: mediaLibrary.GetMediaRequest,
  deleteMedia: mediaLibrary.DeleteMediaRequest,
};

/**
 * Bytes per UploadMedia message. The proto allows up to 1 MiB; smaller messages keep each write well under
 * grpc-js's default 4 MiB message limit with room to spare and let flow control pace a large file.
 */
export const UPLOAD_CHUNK_BYTES = 256 * 1024;
/** Default deadline of an upload: a prompt of a few MB over a slow link takes longer than a unary call. */
export const UPLOAD_MEDIA_DEADLINE_MS = 120_000;

/** A file to upload: its bytes at once, or as they are read (e.g. `fs.createReadStream(path)`). */
export interface MediaUpload {
  /** For people, e.g. "welcome.mp3" (the server sniffs the format from the bytes, never from the name). */
  name: string;
  data: Uint8Array | AsyncIterable<Uint8Array>;
}

type UnaryMethods = {
  readonly [M in MediaUnaryMethod]: (
    request: MediaRequestOf<M>,
    options?: CallOptions,
  ) => Promise<MediaResponseOf<M>>;
};

/**
 * MediaLibrary as promises (the methods are bound). A refusal rejects with a GrpcStatusError. ListMedia,
 * GetMedia and DeleteMedia (deleting again is OK) are retried on UNAVAILABLE as the CallControl reads are.
 */
export interface MediaLibraryClient extends UnaryMethods {
  /**
   * Uploads a file: a metadata message, then its bytes in messages of at most UPLOAD_CHUNK_BYTES, sent as
   * fast as the server takes them. Resolves with the stored file's MediaInfo once the server converted it.
   *
   * **Never retried automatically:** an upload is not idempotent (a repeat would store a second copy under a
   * new id) and an iterable source cannot be read twice. On UNAVAILABLE, decide yourself whether to send it
   * again (ListMedia shows what arrived).
   *
   * Deadline: the call's `deadlineMs`, else the larger of the client's and UPLOAD_MEDIA_DEADLINE_MS. If the
   * server refuses early (e.g. the file is over its size limit) reading `data` stops. If reading `data`
   * fails, the upload is cancelled (nothing is stored) and the promise rejects with that error.
   */
  uploadMedia(upload: MediaUpload, options?: CallOptions): Promise<mediaLibrary.UploadMediaResponse>;
  /** Resolves once connected; rejects with UNAVAILABLE if not within timeoutMs. */
  waitForReady(timeoutMs: number): Promise<void>;
  close(): void;
}

export type MediaLibraryClientOptions = ClientOptions;

/** The bytes cut into pieces of at most `max` bytes, without copying. */
export async function* chunksOf(
  data: Uint8Array | AsyncIterable<Uint8Array>,
  max: number,
): AsyncGenerator<Buffer> {
  const pieces = data instanceof Uint8Array ? [data] : data;
  for await (const piece of pieces)
    for (let offset = 0; offset < piece.byteLength; offset += max)
      yield Buffer.from(piece.buffer, piece.byteOffset + offset, Math.min(max, piece.byteLength - offset));
}

export function createMediaLibraryClient(options: MediaLibraryClientOptions): MediaLibraryClient {
  const connection = connectionOf(options);
  const client = new mediaLibrary.MediaLibraryClient(options.address, connection.credentials);
  const retry: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const clientDeadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;

  function uploadMedia(
    upload: MediaUpload,
    callOptions: CallOptions = {},
  ): Promise<mediaLibrary.UploadMediaResponse> {
    const deadlineMs = callOptions.deadlineMs ?? Math.max(clientDeadlineMs, UPLOAD_MEDIA_DEADLINE_MS);
    const { signal } = callOptions;
    return new Promise((resolve, reject) => {
      let answered = false;
      let wake: (() => void) | undefined;
      const call = client.uploadMedia(
        metadataOf(connection.metadata, callOptions.metadata),
        { deadline: Date.now() + deadlineMs },
        (error: ServiceError | null, response: mediaLibrary.UploadMediaResponse) => {
          answered = true;
          signal?.removeEventListener('abort', cancel);
          wake?.();
          if (error)
            reject(
              new GrpcStatusError(error, { rpc: rpcName(mediaLibrary.MediaLibraryService.uploadMedia.path) }),
            );
          else resolve(response);
        },
      );
      function cancel() {
        call.cancel();
      }
      if (signal?.aborted) return cancel();
      signal?.addEventListener('abort', cancel, { once: true });

      // Waits for the transport to take more, or for the server's answer (after which nothing is sent).
      const drained = () =>
        new Promise<void>((resume) => {
          const done = () => (call.off('drain', done), (wake = undefined), resume());
          wake = done;
          call.once('drain', done);
        });
      const send = async () => {
        call.write({ part: { $case: 'metadata', metadata: { name: upload.name } } });
        for await (const chunk of chunksOf(upload.data, UPLOAD_CHUNK_BYTES)) {
          if (answered) return;
          if (!call.write({ part: { $case: 'chunk', chunk } })) await drained();
        }
        if (!answered) call.end();
      };
      send().catch((error: unknown) => {
        // The source failed: reject with its error first (the CANCELLED that follows is ignored).
        reject(error);
        cancel();
      });
    });
  }

  const unary = unaryMethods<UnaryMethods>({
    client,
    definition: mediaLibrary.MediaLibraryService,
    requestTypes: REQUEST_TYPES,
    connection,
    retry,
    deadlineMs: () => clientDeadlineMs,
  });

  return {
    ...unary,
    uploadMedia,
    waitForReady: (timeoutMs) => waitForReady(client, options.address, timeoutMs),
    close: () => client.close(),
  };
}
