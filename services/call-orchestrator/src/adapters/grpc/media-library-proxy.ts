// callctl.v1.MediaLibrary on the orchestrator's public port, forwarded to the media-library service:
// applications use one address for the whole API. The proxy never decodes a message: requests and replies
// pass as bytes (an upload's chunks are not parsed and re-encoded here), statuses and messages pass through,
// and an upload is forwarded at the pace the media-library takes it (backpressure both ways).
import {
  Client,
  credentials,
  type ServerReadableStream,
  type sendUnaryData,
  type UntypedServiceImplementation,
  type ChannelCredentials,
} from '@grpc/grpc-js';
import { mediaLibrary } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { PEER_CHANNEL_OPTIONS, type ServiceBinding } from '@callctl/service';
import { bytes, forwardedError, forwardUnary, headersOf, rawDefinition, sooner } from './forwarding.js';

export const MEDIA_LIBRARY_SERVICE = 'callctl.v1.MediaLibrary';
/** @default 300000: an upload of the largest file over a slow link, when the caller sets no deadline. */
export const DEFAULT_UPLOAD_TIMEOUT_MS = 300_000;

export interface MediaLibraryProxyOptions {
  /** host:port of the media-library service's gRPC (MEDIA_LIBRARY_GRPC). */
  address: string;
  /** Deadline of a forwarded ListMedia, GetMedia or DeleteMedia (the caller's, when it is sooner). */
  timeoutMs: number;
  /** Deadline of a forwarded upload when the caller's is later or unset. @default DEFAULT_UPLOAD_TIMEOUT_MS */
  uploadTimeoutMs?: number;
  log: Logger;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
}

export interface MediaLibraryProxy {
  binding: ServiceBinding;
  /** Closes the channel to the media-library (after the server stopped taking calls). */
  close(): void;
}

/** The service's methods with the messages left as bytes on both sides. */
const RAW_DEFINITION = rawDefinition(mediaLibrary.MediaLibraryService);

export function mediaLibraryProxy(options: MediaLibraryProxyOptions): MediaLibraryProxy {
  const { address, timeoutMs, log } = options;
  const uploadTimeoutMs = options.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS;
  const client = new Client(
    address,
    options.credentials ?? credentials.createInsecure(),
    PEER_CHANNEL_OPTIONS,
  );

  const forwarded = forwardedError('media-library', address, log);

  const unary = (method: keyof typeof mediaLibrary.MediaLibraryService) =>
    forwardUnary(client, mediaLibrary.MediaLibraryService[method].path, timeoutMs, forwarded);

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
