import { facts } from '@callctl/proto';
import { publishDurably, recordingFactSubject, type NatsConnection } from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import type { PublishRecordingFact } from '../../app/service-ports.js';

export interface RecordingFactPublisherOptions {
  /** Give up on one fact after this long (keep it below the stream's duplicate window). */
  giveUpAfterMs: number;
  /** Deadline of one attempt, waiting for JetStream's ack. */
  attemptTimeoutMs: number;
  log: Logger;
}

/**
 * Publishes a RecordingFact on `facts.recording.<callId>` (stream CALLCTL_FACTS) with Nats-Msg-Id = fact
 * id, retried until acked: a NATS outage shorter than giveUpAfterMs delays the fact, it does not lose it.
 */
export function recordingFactPublisher(
  nc: NatsConnection,
  options: RecordingFactPublisherOptions,
): PublishRecordingFact {
  return async (fact, signal) => {
    await publishDurably(nc, recordingFactSubject(fact.callId), facts.RecordingFact, fact, {
      msgId: fact.factId,
      giveUpAfterMs: options.giveUpAfterMs,
      attemptTimeoutMs: options.attemptTimeoutMs,
      signal,
      onRetry: (attempt, error) =>
        options.log.warn(
          { callId: fact.callId, recordingId: fact.recordingId, factId: fact.factId, attempt, err: error },
          'recording fact not acknowledged, retrying',
        ),
    });
  };
}
