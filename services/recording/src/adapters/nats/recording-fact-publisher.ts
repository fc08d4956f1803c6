import { facts } from '@callctl/proto';
import { durableFactPublisher, recordingFactSubject, type NatsConnection } from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import type { PublishRecordingFact } from '../../app/service-ports.js';

export interface RecordingFactPublisherOptions {
  /** Give up on one fact after this long (keep it below the stream's duplicate window). */
  giveUpAfterMs: number;
  /** Deadline of one attempt, waiting for JetStream's ack. */
  attemptTimeoutMs: number;
  log: Logger;
}

/** Publishes a RecordingFact on `facts.recording.<callId>` (stream CALLCTL_FACTS), retried until acked. */
export function recordingFactPublisher(
  nc: NatsConnection,
  options: RecordingFactPublisherOptions,
): PublishRecordingFact {
  return durableFactPublisher(nc, {
    ...options,
    codec: facts.RecordingFact,
    subjectOf: (fact) => recordingFactSubject(fact.callId),
    describe: (fact) => ({ recordingId: fact.recordingId }),
  });
}
