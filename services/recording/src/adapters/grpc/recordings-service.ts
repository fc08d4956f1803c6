// callctl.v1.Recordings (public; the orchestrator forwards it on its port): metadata, downloads, deletes.
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { recordings } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import { unaryHandler, type ServiceBinding } from '@callctl/service';
import { toServiceError } from '@callctl/errors/grpc';
import type { RecordingCatalog } from '../../app/recording-catalog.js';
import { recordingMessage } from './recording-messages.js';

export const RECORDINGS_SERVICE = 'callctl.v1.Recordings';
/** The contract's largest chunk. */
export const DOWNLOAD_CHUNK_BYTES = 64 * 1024;

type DownloadCall = ServerWritableStream<
  recordings.DownloadRecordingRequest,
  recordings.DownloadRecordingResponse
>;

/** Re-cuts the store's chunks to at most DOWNLOAD_CHUNK_BYTES. */
async function* chunksOf(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  let pending = Buffer.alloc(0);
  for await (const piece of source) {
    pending = pending.length ? Buffer.concat([pending, piece]) : Buffer.from(piece);
    while (pending.length >= DOWNLOAD_CHUNK_BYTES) {
      yield pending.subarray(0, DOWNLOAD_CHUNK_BYTES);
      pending = pending.subarray(DOWNLOAD_CHUNK_BYTES);
    }
  }
  if (pending.length) yield pending;
}

async function serveDownload(catalog: RecordingCatalog, call: DownloadCall): Promise<void> {
  const source = await catalog.download(call.request.recordingId, call.request.part);
  let gone!: () => void;
  const left = new Promise<void>((resolve) => (gone = resolve));
  call.on('cancelled', () => gone());
  call.on('close', () => gone());
  // One chunk is held back, so that the last message can say it is the last.
  let held: Buffer | undefined;
  const send = async (chunk: Buffer, last: boolean) => {
    if (!call.write({ chunk, last })) await Promise.race([new Promise((r) => call.once('drain', r)), left]);
  };
  for await (const chunk of chunksOf(source)) {
    if (call.cancelled) return;
    if (held) await send(held, false);
    held = chunk;
  }
  if (call.cancelled) return;
  await send(held ?? Buffer.alloc(0), true);
  call.end();
}

export function recordingsService(options: { catalog: RecordingCatalog; log: Logger }): ServiceBinding {
  const { catalog, log } = options;
  const unary = unaryHandler(log);
  const implementation: recordings.RecordingsServer = {
    getRecording: unary(
      async (r: recordings.GetRecordingRequest): Promise<recordings.GetRecordingResponse> => ({
        recording: recordingMessage(await catalog.get(r.recordingId)),
      }),
    ),
    listRecordings: unary(
      async (r: recordings.ListRecordingsRequest): Promise<recordings.ListRecordingsResponse> => {
        const page = await catalog.list(r.callId, r.pageSize, r.pageToken);
        return { recordings: page.items.map(recordingMessage), nextPageToken: page.nextPageToken };
      },
    ),
    downloadRecording: (call) => {
      // grpc-js sends a server stream's status from its 'error' event; destroy(error) would send none.
      serveDownload(catalog, call).catch((error: unknown) =>
        call.emit('error', toServiceError(error, log.child({ rpc: 'DownloadRecording' }))),
      );
    },
    deleteRecording: unary(
      async (r: recordings.DeleteRecordingRequest): Promise<recordings.DeleteRecordingResponse> => {
        await catalog.delete(r.recordingId);
        return {};
      },
    ),
  };
  return {
    name: RECORDINGS_SERVICE,
    definition: recordings.RecordingsService,
    implementation: implementation as unknown as UntypedServiceImplementation,
  };
}
