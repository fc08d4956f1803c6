// Reads an UploadMedia client stream into memory: the metadata first (checked at once), then the chunks,
// counted as they come so that an upload over the limit is refused at the chunk that crosses it rather than
// after the whole file has been sent.
import type { ServerReadableStream } from '@grpc/grpc-js';
import type { mediaLibrary } from '@callctl/proto';
import { isCallctlError } from '@callctl/errors';
import { TimeoutError, ValidationError } from '../../domain/errors.js';
import { parseUploadName, tooLargeMessage } from '../../domain/upload.js';

export interface ReceivedUpload {
  name: string;
  bytes: Buffer;
}

export function receiveUpload(
  call: ServerReadableStream<mediaLibrary.UploadMediaRequest, mediaLibrary.UploadMediaResponse>,
  maxBytes: number,
  signal: AbortSignal,
): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    let name: string | undefined;
    const chunks: Buffer[] = [];
    let total = 0;
    const finish = (error: Error | undefined) => {
      call.off('data', onData);
      call.off('end', onEnd);
      call.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (!error) return resolve({ name: name ?? '', bytes: Buffer.concat(chunks, total) });
      // Stop reading what the client still sends; the status we answer ends the call.
      call.pause();
      reject(error);
    };
    const onData = (message: mediaLibrary.UploadMediaRequest) => {
      try {
        const part = message.part;
        if (part?.$case === 'metadata') {
          if (name !== undefined)
            throw new ValidationError('metadata sent twice: only the first message carries it');
          name = parseUploadName(part.metadata.name);
        } else if (name === undefined) {
          throw new ValidationError('the first message must carry the metadata (name)');
        } else if (part?.$case === 'chunk') {
          total += part.chunk.length;
          if (total > maxBytes) throw new ValidationError(tooLargeMessage(maxBytes));
          chunks.push(part.chunk);
        }
      } catch (error) {
        finish(error as Error);
      }
    };
    const onEnd = () =>
      finish(
        name === undefined
          ? new ValidationError('the first message must carry the metadata (name)')
          : undefined,
      );
    const onError = (error: Error) => finish(error);
    const onAbort = () => finish(abortError(signal));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort);
    call.on('data', onData);
    call.on('end', onEnd);
    call.on('error', onError);
  });
}

/** Why an upload stopped: the reason a timeout or a cancel put on the signal. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  // Our own timeouts abort with a typed error that says how long; a cancel aborts with a DOMException.
  return isCallctlError(reason)
    ? reason
    : new TimeoutError('the upload was abandoned or took too long', {}, { cause: reason });
}
