// callctl.v1.Recordings on the orchestrator's public port, forwarded to the recording service (which serves
// it beside its internal Recorder): applications use one address for the whole API. As the media library's
// proxy (media-library-proxy.ts): messages pass as bytes, statuses and messages pass through, a service we
// cannot reach is named. A download is forwarded as it streams, at the pace the caller reads it
// (backpressure: the recording service's stream is paused while our caller's is full).
import {
  Client,
  credentials,
  type ServerWritableStream,
  type UntypedServiceImplementation,
  type ChannelCredentials,
} from '@grpc/grpc-js';
import { recordings } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { PEER_CHANNEL_OPTIONS, type ServiceBinding } from '@callctl/service';
import { bytes, forwardedError, forwardUnary, headersOf, rawDefinition, sooner } from './forwarding.js';

export const RECORDINGS_SERVICE = 'callctl.v1.Recordings';
/** @default 300000: a download of a long recording over a slow link, when the caller sets no deadline. */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 300_000;

export interface RecordingsProxyOptions {
  /** host:port of the recording service's gRPC (RECORDING_GRPC). */
  address: string;
  /** Deadline of a forwarded ListRecordings, GetRecording or DeleteRecording (the caller's when sooner). */
  timeoutMs: number;
  /** Deadline of a forwarded download when the caller's is later or unset. @default DEFAULT_DOWNLOAD_TIMEOUT_MS */
  downloadTimeoutMs?: number;
  log: Logger;
  /** Channel credentials (internalChannelCredentials: mTLS when INTERNAL_TLS_* are set). @default plain */
  credentials?: ChannelCredentials;
}

export interface RecordingsProxy {
  binding: ServiceBinding;
  /** Closes the channel to the recording service (after the server stopped taking calls). */
  close(): void;
}

const RAW_DEFINITION = rawDefinition(recordings.RecordingsService);

export function recordingsProxy(options: RecordingsProxyOptions): RecordingsProxy {
  const { address, timeoutMs, log } = options;
  const downloadTimeoutMs = options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const client = new Client(
    address,
    options.credentials ?? credentials.createInsecure(),
    PEER_CHANNEL_OPTIONS,
  );
  const forwarded = forwardedError('recording service', address, log);

  const unary = (method: keyof typeof recordings.RecordingsService) =>
    forwardUnary(client, recordings.RecordingsService[method].path, timeoutMs, forwarded);

  const downloadRecording = (call: ServerWritableStream<Buffer, Buffer>) => {
    const { path } = recordings.RecordingsService.downloadRecording;
    const upstream = client.makeServerStreamRequest(
      path,
      bytes,
      bytes,
      call.request,
      headersOf(call.metadata),
      { deadline: sooner(call.getDeadline(), downloadTimeoutMs) },
    );
    let done = false;
    const resume = () => upstream.resume();
    upstream.on('data', (chunk: Buffer) => {
      // Our caller reads at its pace: stop reading from the recording service until it has taken this.
      if (!call.write(chunk)) {
        upstream.pause();
        call.once('drain', resume);
      }
    });
    upstream.on('end', () => {
      if (done) return;
      done = true;
      call.end();
    });
    // grpc-js sends a server stream's status from its 'error' event (then ends it).
    upstream.on('error', (error) => {
      if (done) return;
      done = true;
      call.emit('error', forwarded(error as Parameters<typeof forwarded>[0], path));
    });
    call.on('cancelled', () => {
      done = true;
      upstream.cancel();
    });
  };

  const implementation: UntypedServiceImplementation = {
    getRecording: unary('getRecording'),
    listRecordings: unary('listRecordings'),
    deleteRecording: unary('deleteRecording'),
    downloadRecording,
  };
  return {
    binding: { name: RECORDINGS_SERVICE, definition: RAW_DEFINITION, implementation },
    close: () => client.close(),
  };
}
