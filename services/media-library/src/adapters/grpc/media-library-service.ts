// Binds the public callctl.v1.MediaLibrary service to the library; every failure goes through the shared
// gRPC status mapping (@callctl/errors/grpc).
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { mediaLibrary } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { unaryHandler, type ServiceBinding } from '@callctl/service';
import { toServiceError } from '@callctl/errors/grpc';
import type { MediaLibrary } from '../../app/media-library.js';
import type { MediaFileInfo } from '../../app/media-files.js';
import { TimeoutError } from '../../domain/errors.js';
import { abortError, receiveUpload } from './receive-upload.js';

export const MEDIA_LIBRARY_SERVICE = 'callctl.v1.MediaLibrary';

export interface MediaLibraryServiceOptions {
  library: MediaLibrary;
  /** Largest upload accepted, in bytes (MEDIA_UPLOAD_MAX_BYTES). */
  uploadMaxBytes: number;
  /** Longest an upload may take, receiving and converting (MEDIA_UPLOAD_TIMEOUT_MS). */
  uploadTimeoutMs: number;
  log: Logger;
}

export const mediaInfoOf = (file: MediaFileInfo): mediaLibrary.MediaInfo => ({
  mediaId: file.mediaId,
  name: file.name,
  uploadedFormat: file.uploadedFormat,
  uploadedBytes: file.uploadedBytes,
  durationMs: file.durationMs,
  sampleRateHz: file.sampleRateHz,
  createdAt: file.createdAt,
});

export function mediaLibraryService(options: MediaLibraryServiceOptions): ServiceBinding {
  const { library, log } = options;
  const unary = unaryHandler(log);

  const implementation: mediaLibrary.MediaLibraryServer = {
    uploadMedia: (call, callback) => {
      // The upload stops when the client cancels or its deadline passes (grpc-js cancels the call), or
      // after uploadTimeoutMs: ffmpeg is killed and nothing is stored.
      const cancelled = new AbortController();
      call.on('cancelled', () => cancelled.abort());
      const signal = AbortSignal.any([
        cancelled.signal,
        timeoutSignal(options.uploadTimeoutMs, `the upload took longer than ${options.uploadTimeoutMs} ms`),
      ]);
      receiveUpload(call, options.uploadMaxBytes, signal)
        .then(({ name, bytes }) => library.upload(name, bytes, signal))
        .then(
          (file) => callback(null, { media: mediaInfoOf(file) }),
          (error: unknown) => {
            const reported = signal.aborted ? abortError(signal) : error;
            callback(toServiceError(reported, log.child({ rpc: call.getPath() })));
          },
        );
    },
    listMedia: unary(async (r: mediaLibrary.ListMediaRequest): Promise<mediaLibrary.ListMediaResponse> => {
      const page = await library.list(r.pageSize, r.pageToken);
      return { media: page.files.map(mediaInfoOf), nextPageToken: page.nextPageToken };
    }),
    getMedia: unary(async (r: mediaLibrary.GetMediaRequest): Promise<mediaLibrary.GetMediaResponse> => ({
      media: mediaInfoOf(await library.get(r.mediaId)),
    })),
    deleteMedia: unary(
      async (r: mediaLibrary.DeleteMediaRequest): Promise<mediaLibrary.DeleteMediaResponse> => {
        await library.delete(r.mediaId);
        return {};
      },
    ),
  };
  return {
    name: MEDIA_LIBRARY_SERVICE,
    definition: mediaLibrary.MediaLibraryService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}

/** An AbortSignal that fires after `ms` with a TimeoutError saying `message` (the timer does not hold the process). */
function timeoutSignal(ms: number, message: string): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new TimeoutError(message)), ms).unref();
  return controller.signal;
}
