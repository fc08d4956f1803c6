import { facts } from '@callctl/proto';
import { mediaFactSubject, publishDurably, type NatsConnection } from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import type { PublishMediaFact } from '../../app/ports.js';

export interface MediaFactPublisherOptions {
  /** Give up on one fact after this long (keep it below the stream's duplicate window). */
  giveUpAfterMs: number;
  /** Deadline of one attempt, waiting for JetStream's ack. */
  attemptTimeoutMs: number;
  log: Logger;
}

/** Publishes a MediaFact on `facts.media.<callId>` with Nats-Msg-Id = fact id, retried until acked. */
export function mediaFactPublisher(nc: NatsConnection, options: MediaFactPublisherOptions): PublishMediaFact {
  return async (fact, signal) => {
    await publishDurably(nc, mediaFactSubject(fact.callId), facts.MediaFact, fact, {
      msgId: fact.factId,
      giveUpAfterMs: options.giveUpAfterMs,
      attemptTimeoutMs: options.attemptTimeoutMs,
      signal,
      onRetry: (attempt, error) =>
        options.log.warn(
          { callId: fact.callId, factId: fact.factId, attempt, err: error },
          'media fact not acknowledged, retrying',
        ),
    });
  };
}
