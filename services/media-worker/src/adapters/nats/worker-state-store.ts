import {
  ensureRecordStream,
  MEDIA_WORKER_STATE_STREAM,
  MEDIA_WORKER_STATE_SUBJECTS,
  mediaWorkerStateOf,
  mediaWorkerStateSubject,
  RecordTable,
  type NatsConnection,
} from '@callctl/bus';
import type { WorkerState } from '../../app/ports.js';

export interface NatsWorkerStateOptions {
  nc: NatsConnection;
  /** This worker's name: each instance reads back only its own records. */
  instance: string;
  /** Deadline of one write (waiting for JetStream's ack) and of each read at start. */
  timeoutMs: number;
}

/**
 * WorkerState on JetStream stream MEDIA_WORKER_STATE (record tables of libs/bus, one per kind). Subjects
 * carry the id base64url-encoded (session ids and tags may hold dots or '@').
 */
export async function openNatsWorkerState(options: NatsWorkerStateOptions): Promise<WorkerState> {
  await ensureRecordStream(options.nc, MEDIA_WORKER_STATE_STREAM, MEDIA_WORKER_STATE_SUBJECTS);
  const table = <T>(kind: string) =>
    new RecordTable<T>({
      nc: options.nc,
      stream: MEDIA_WORKER_STATE_STREAM,
      subjectOf: (id) =>
        mediaWorkerStateSubject(options.instance, kind, Buffer.from(id).toString('base64url')),
      filter: mediaWorkerStateOf(options.instance, kind),
      timeoutMs: options.timeoutMs,
    });
  // Older runs also kept `bridge` records: no table reads them now, they expire with the stream's max age.
  return {
    playbacks: table('playback'),
    localParties: table('local'),
    inbandDtmf: table('dtmf'),
    dtmfInjection: table('inject'),
    sessionCalls: table('call'),
    mixerRoutes: table('route'),
  };
}
