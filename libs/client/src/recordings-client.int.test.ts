// The Recordings client against a real grpc-js server in this test serving one recording's bytes as the
// contract says (chunks of at most 64 KiB, the last one marked), or scripted to break that promise.
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import { recordings } from '@callctl/proto';
import { GrpcStatusError } from '@callctl/errors/grpc';
import { createRecordingsClient, type RecordingsClient } from './recordings-client';
import { NO_RETRIES } from './retry';

const CHUNK = 64 * 1024;

class RecordingsServer {
  wav = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
  /** The stream ends without its `last` message (a server that broke off). */
  dropLast = false;
  deletes = 0;
  unavailableDeletes = 0;
  private server = new Server();
  port = 0;

  async start(): Promise<void> {
    this.server.addService(recordings.RecordingsService, {
      getRecording: (
        call: ServerUnaryCall<recordings.GetRecordingRequest, recordings.GetRecordingResponse>,
        callback: sendUnaryData<recordings.GetRecordingResponse>,
      ) =>
        call.request.recordingId === 'rec-1'
          ? callback(null, { recording: recordings.Recording.fromPartial({ recordingId: 'rec-1' }) })
          : callback({
              code: status.NOT_FOUND,
              details: `recording ${call.request.recordingId} does not exist`,
            }),
      listRecordings: (_call: unknown, callback: sendUnaryData<recordings.ListRecordingsResponse>) =>
        callback(null, { recordings: [], nextPageToken: '' }),
      deleteRecording: (_call: unknown, callback: sendUnaryData<recordings.DeleteRecordingResponse>) => {
        this.deletes++;
        if (this.unavailableDeletes-- > 0) callback({ code: status.UNAVAILABLE, details: 'restarting' });
        else callback(null, {});
      },
      downloadRecording: (
        call: ServerWritableStream<recordings.DownloadRecordingRequest, recordings.DownloadRecordingResponse>,
      ) => {
        if (call.request.recordingId !== 'rec-1')
          return call.emit('error', { code: status.NOT_FOUND, details: 'no such recording' });
        for (let offset = 0; offset < this.wav.length; offset += CHUNK) {
          const last = offset + CHUNK >= this.wav.length;
          call.write({ chunk: this.wav.subarray(offset, offset + CHUNK), last: last && !this.dropLast });
        }
        call.end();
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

let server: RecordingsServer;
let client: RecordingsClient;
beforeAll(async () => {
  server = new RecordingsServer();
  await server.start();
  client = createRecordingsClient({
    address: `127.0.0.1:${server.port}`,
    retry: { ...NO_RETRIES, maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 2 },
  });
});
afterAll(async () => {
  client.close();
  await server.stop();
});

const collect = async (chunks: AsyncIterable<Uint8Array>) => {
  const out: Uint8Array[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return Buffer.concat(out);
};

describe('Recordings client', () => {
  it('downloads every byte in order', async () => {
    server.dropLast = false;
    expect((await collect(client.downloadRecording({ recordingId: 'rec-1' }))).equals(server.wav)).toBe(true);
  });

  it('rejects a download that ended before its last message', async () => {
    server.dropLast = true;
    await expect(collect(client.downloadRecording({ recordingId: 'rec-1' }))).rejects.toThrow(
      /ended before its last message/,
    );
    server.dropLast = false;
  });

  it('rejects a refused download with the GrpcStatusError naming the RPC', async () => {
    const refused = collect(client.downloadRecording({ recordingId: 'rec-2' }));
    await expect(refused).rejects.toBeInstanceOf(GrpcStatusError);
    await expect(refused).rejects.toMatchObject({ status: status.NOT_FOUND });
  });

  it('gets, lists, and deletes again after UNAVAILABLE (a delete is safe to repeat)', async () => {
    await expect(client.getRecording({ recordingId: 'rec-1' })).resolves.toMatchObject({
      recording: { recordingId: 'rec-1' },
    });
    await expect(client.getRecording({ recordingId: 'rec-9' })).rejects.toMatchObject({
      status: status.NOT_FOUND,
    });
    await expect(client.listRecordings({})).resolves.toEqual({ recordings: [], nextPageToken: '' });
    server.unavailableDeletes = 1;
    await expect(client.deleteRecording({ recordingId: 'rec-1' })).resolves.toEqual({});
    expect(server.deletes).toBe(2);
  });
});
