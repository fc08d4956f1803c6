import { facts } from '@callctl/proto';
import {
  durableFactPublisher,
  OrderedFactReporting,
  streamFactSubject,
  type NatsConnection,
} from '@callctl/bus';
import type { Logger } from '@callctl/logging';

export interface StreamFactReportingOptions {
  /** Give up on one fact after this long (below the stream's duplicate window). */
  giveUpAfterMs: number;
  /** Deadline of one attempt, waiting for JetStream's ack. */
  attemptTimeoutMs: number;
  log: Logger;
}

/**
 * StreamFacts on `facts.stream.<callId>` (CALLCTL_FACTS), published durably, in order per stream and
 * numbered per stream (source_sequence): libs/bus's reporting, shared with the recording service.
 */
export function streamFactReporting(
  nc: NatsConnection,
  options: StreamFactReportingOptions,
): OrderedFactReporting<facts.StreamFact> {
  const describe = (fact: facts.StreamFact) => ({ streamId: fact.streamId });
  return new OrderedFactReporting({
    publish: durableFactPublisher(nc, {
      ...options,
      codec: facts.StreamFact,
      subjectOf: (fact) => streamFactSubject(fact.callId),
      describe,
    }),
    log: options.log,
    keyOf: (fact) => fact.streamId,
    describe,
  });
}
