// A stand-in for the recording service, speaking its real gRPC contract on one port as the service does:
// the internal callctl.recording.v1.Recorder (every request kept, answers scripted per method) and the
// public callctl.v1.Recordings (one scripted recording and its WAV bytes). The real service is built beside
// the orchestrator; the end-to-end tests run the two together.
import { randomUUID } from 'node:crypto';
import { Metadata, status, type ServerWritableStream, type ServiceError } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { recordingFactSubject, type NatsConnection } from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import { facts, recorder, recordings } from '@callctl/proto';
import { startGrpcServer, type RunningGrpcServer } from '@callctl/service';

type RecorderMethod = keyof recorder.RecorderServer & string;
/** A refusal the next call of a method answers with. */
type Refusal = { code: status; details: string };

const refusal = ({ code, details }: Refusal): ServiceError =>
  Object.assign(new Error(details), { code, details, metadata: new Metadata() });

export class RecordingServiceStandIn {
  readonly requests: Array<{ method: RecorderMethod; request: Record<string, unknown> }> = [];
  private readonly refusals = new Map<RecorderMethod, Refusal>();
  /** What Recordings serves: one recording and the bytes of its part 1. */
  recording: recordings.Recording | undefined;
  wav = Buffer.alloc(0);

  private constructor(private server: RunningGrpcServer | undefined) {}

  static async start(log: Logger): Promise<RecordingServiceStandIn> {
    const standIn = new RecordingServiceStandIn(undefined);
    const record =
      (method: RecorderMethod) =>
      (call: { request: object }, callback: (error: ServiceError | null, response?: object) => void) => {
        standIn.requests.push({ method, request: call.request as Record<string, unknown> });
        const refused = standIn.refusals.get(method);
        standIn.refusals.delete(method);
        if (refused) callback(refusal(refused));
        else callback(null, {});
      };
    const recorderImplementation = {
      startRecorder: record('startRecorder'),
      pauseRecorder: record('pauseRecorder'),
      resumeRecorder: record('resumeRecorder'),
      stopRecorder: record('stopRecorder'),
    };
    const known = (recordingId: string) => standIn.recording?.recordingId === recordingId;
    const notFound = (recordingId: string) =>
      refusal({ code: status.NOT_FOUND, details: `recording ${recordingId} does not exist` });
    const recordingsImplementation = {
      getRecording: (
        call: { request: recordings.GetRecordingRequest },
        callback: (error: ServiceError | null, response?: recordings.GetRecordingResponse) => void,
      ) =>
        known(call.request.recordingId)
          ? callback(null, { recording: standIn.recording })
          : callback(notFound(call.request.recordingId)),
      listRecordings: (
        _call: unknown,
        callback: (error: ServiceError | null, response?: recordings.ListRecordingsResponse) => void,
      ) => callback(null, { recordings: standIn.recording ? [standIn.recording] : [], nextPageToken: '' }),
      deleteRecording: (_call: unknown, callback: (error: null, response: object) => void) =>
        callback(null, {}),
      downloadRecording: async (
        call: ServerWritableStream<recordings.DownloadRecordingRequest, recordings.DownloadRecordingResponse>,
      ) => {
        if (!known(call.request.recordingId)) return call.emit('error', notFound(call.request.recordingId));
        const CHUNK = 64 * 1024;
        for (let offset = 0; offset < standIn.wav.length; offset += CHUNK) {
          const chunk = standIn.wav.subarray(offset, offset + CHUNK);
          const last = offset + CHUNK >= standIn.wav.length;
          if (!call.write({ chunk, last })) await new Promise((resolve) => call.once('drain', resolve));
        }
        call.end();
      },
    };
    standIn.server = await startGrpcServer({
      log,
      host: '127.0.0.1',
      port: 0,
      services: [
        {
          name: 'callctl.recording.v1.Recorder',
          definition: recorder.RecorderService,
          implementation: recorderImplementation,
        },
        {
          name: 'callctl.v1.Recordings',
          definition: recordings.RecordingsService,
          implementation: recordingsImplementation,
        },
      ],
    });
    return standIn;
  }

  get address(): string {
    return `127.0.0.1:${this.server!.port}`;
  }

  /** The next call of `method` is refused so. */
  refuseNext(method: RecorderMethod, code: status, details: string): void {
    this.refusals.set(method, { code, details });
  }

  received(method: RecorderMethod): Array<Record<string, unknown>> {
    return this.requests.filter((r) => r.method === method).map((r) => r.request);
  }

  /** Publishes a RecordingFact as the recording service does (`facts.recording.<call id>`). */
  static async publishFact(
    nc: NatsConnection,
    callId: string,
    recordingId: string,
    fact: NonNullable<facts.RecordingFact['fact']>,
    factId = randomUUID(),
  ): Promise<string> {
    const message: facts.RecordingFact = {
      factId,
      callId,
      recordingId,
      fact,
      sourceSequence: 0,
      occurredAtMs: Date.now(),
    };
    await jetstream(nc).publish(recordingFactSubject(callId), facts.RecordingFact.encode(message).finish(), {
      msgID: factId,
    });
    return factId;
  }

  stop(): Promise<void> {
    return this.server!.close();
  }
}
