// callctl.v1.MediaLibrary on the orchestrator's public port, forwarded to the media-library service:
// applications use one address for the whole API. The proxy never decodes a message: requests and replies
// pass as bytes (an upload's chunks are not parsed and re-encoded here), statuses and messages pass through,
// and an upload is forwarded at the pace the media-library takes it (backpressure both ways).
import {
  Client,
  credentials,
  Metadata,
  status,
  type Deadline,
  type ServerReadableStream,
  type ServerUnaryCall,
  type sendUnaryData,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { mediaLibrary } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import type { ServiceBinding } from '@callctl/service';

export const MEDIA_LIBRARY_SERVICE = 'callctl.v1.MediaLibrary';
/** @default 300000: an upload of the largest file over a slow link, when the caller sets no deadline. */
export const DEFAULT_UPLOAD_TIMEOUT_MS = 300_000;
/** Headers the media-library needs to continue the caller's work: the trace and the correlation id. */
const FORWARDED_HEADERS = ['traceparent', 'x-correlation-id'] as const;

export interface MediaLibraryProxyOptions {
  /** host:port of the media-library service's gRPC (MEDIA_LIBRARY_GRPC). */
  address: string;
  /** Deadline of a forwarded ListMedia, GetMedia or DeleteMedia (the caller's, when it is sooner). */
  timeoutMs: number;
  /** Deadline of a forwarded upload when the caller's is later or unset. @default DEFAULT_UPLOAD_TIMEOUT_MS */
  uploadTimeoutMs?: number;
  log: Logger;
}

export interface MediaLibraryProxy {
  binding: ServiceBinding;
  /** Closes the channel to the media-library (after the server stopped taking calls). */
  close(): void;
}

const bytes = (value: Buffer): Buffer => value;

/** The service's methods with the messages left as bytes on both sides. */
const RAW_DEFINITION: ServiceDefinition = Object.fromEntries(
  Object.entries(mediaLibrary.MediaLibraryService).map(([name, method]) => [
    name,
    {
      ...method,
      requestSerialize: bytes,
      requestDeserialize: bytes,
      responseSerialize: bytes,
      responseDeserialize: bytes,
    },
  ]),
);

export function mediaLibraryProxy(options: MediaLibraryProxyOptions): MediaLibraryProxy {
  const { address, timeoutMs, log } = options;
  const uploadTimeoutMs = options.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS;
  const client = new Client(address, credentials.createInsecure());

  /** The library's answer for our caller: as it is, except that a failure to reach it says so. */
  const forwarded = (error: ServiceError, rpc: string): Partial<ServiceError> => {
    const reached = error.code !== status.UNAVAILABLE && error.code !== status.DEADLINE_EXCEEDED;
    if (reached) return { code: error.code, details: error.details, metadata: new Metadata() };
    log.warn({ rpc, address, code: status[error.code], details: error.details }, 'media-library call failed');
    const what = error.code === status.UNAVAILABLE ? 'is unavailable' : 'did not answer in time';
    return { code: error.code, details: `media-library ${what}: ${error.details}`, metadata: new Metadata() };
  };

  const unary =
    (method: keyof typeof mediaLibrary.MediaLibraryService) =>
    (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
      const { path } = mediaLibrary.MediaLibraryService[method];
      const forwardedCall = client.makeUnaryRequest(
        path,
        bytes,
        bytes,
        call.request,
        headersOf(call.metadata),
        { deadline: sooner(call.getDeadline(), timeoutMs) },
        (error, response) => (error ? callback(forwarded(error, path)) : callback(null, response)),
      );
      call.on('cancelled', () => forwardedCall.cancel());
    };

  const uploadMedia = (call: ServerReadableStream<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
    const { path } = mediaLibrary.MediaLibraryService.uploadMedia;
    let answered = false;
    const upstream = client.makeClientStreamRequest(
      path,
      bytes,
      bytes,
      headersOf(call.metadata),
      { deadline: sooner(call.getDeadline(), uploadTimeoutMs) },
      (error, response) => {
        if (answered) return;
        answered = true;
        stopReading();
        if (error) callback(forwarded(error, path));
        else callback(null, response);
      },
    );
    const resume = () => call.resume();
    const onData = (message: Buffer) => {
      // The library reads at its pace: stop reading from our caller until it has taken this message.
      if (!upstream.write(message)) {
        call.pause();
        upstream.once('drain', resume);
      }
    };
    const onEnd = () => upstream.end();
    const onGone = () => {
      answered = true;
      stopReading();
      upstream.cancel();
    };
    // The library answered before the caller finished (a refusal): what the caller still sends is dropped.
    const stopReading = () => {
      call.off('data', onData);
      call.off('end', onEnd);
      upstream.off('drain', resume);
      call.pause();
    };
    call.on('data', onData);
    call.on('end', onEnd);
    call.on('cancelled', onGone);
    call.on('error', onGone);
  };

  const implementation: UntypedServiceImplementation = {
    uploadMedia,
    listMedia: unary('listMedia'),
    getMedia: unary('getMedia'),
    deleteMedia: unary('deleteMedia'),
  };
  return {
    binding: { name: MEDIA_LIBRARY_SERVICE, definition: RAW_DEFINITION, implementation },
    close: () => client.close(),
  };
}

function headersOf(incoming: Metadata): Metadata {
  const metadata = new Metadata();
  for (const name of FORWARDED_HEADERS) {
    const [value] = incoming.get(name);
    if (typeof value === 'string' && value) metadata.set(name, value);
  }
  return metadata;
}

/** The caller's deadline, or now + limitMs when that is sooner (or the caller set none). */
function sooner(deadline: Deadline, limitMs: number): number {
  const callers = deadline instanceof Date ? deadline.getTime() : deadline;
  const ours = Date.now() + limitMs;
  return Number.isFinite(callers) ? Math.min(callers, ours) : ours;
}
