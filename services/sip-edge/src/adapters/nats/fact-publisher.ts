import { FactSequence, publishDurably, sipFactSubject, type NatsConnection } from '@callctl/bus';
import type { Logger } from '@callctl/logging';
import { facts } from '@callctl/proto';
import { UnavailableError } from '../../domain/errors.js';
import { stamped } from '../../domain/sip-facts.js';
import type { FactSink } from '../../app/ports.js';

export interface FactPublisherOptions {
  nc: NatsConnection;
  log: Logger;
  /**
   * A fact about something that already happened is retried this long, then logged as lost. Long: the
   * SIP side cannot be undone, and NATS may be restarting.
   */
  giveUpAfterMs: number;
  /** InboundCallOffered is given up sooner: the caller waits, and gets 503 when it cannot be stored. */
  offerGiveUpAfterMs: number;
  /** Deadline of one publish attempt. */
  attemptTimeoutMs: number;
}

/**
 * Publishes SipFacts to CALLCTL_FACTS (`facts.sip.<callId>`, Nats-Msg-Id = fact_id) and waits for the
 * stream's ack. Facts of one call go out one after the other, so the orchestrator's consumer sees them
 * in the order they happened even when an attempt is retried.
 */
export class FactPublisher implements FactSink {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly closing = new AbortController();
  private readonly sequence = new FactSequence();

  constructor(private readonly options: FactPublisherOptions) {}

  /** Stamps the fact (the call's next sequence, now: it is reported as it happens) and publishes it. */
  publish(unstamped: facts.SipFact): Promise<void> {
    const fact = stamped(unstamped, this.sequence.next(unstamped.callId), Date.now());
    const previous = this.tails.get(fact.callId) ?? Promise.resolve();
    const next = previous.then(() => this.send(fact));
    const tail = next.catch(() => undefined);
    this.tails.set(fact.callId, tail);
    void tail.then(() => {
      if (this.tails.get(fact.callId) === tail) this.tails.delete(fact.callId);
    });
    return next;
  }

  async flush(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }

  /** Stops retrying: pending publishes fail at their next attempt. */
  close(): void {
    this.closing.abort();
  }

  private async send(fact: facts.SipFact): Promise<void> {
    const { nc, log } = this.options;
    try {
      await publishDurably(nc, sipFactSubject(fact.callId), facts.SipFact, fact, {
        msgId: fact.factId,
        giveUpAfterMs:
          fact.fact?.$case === 'inboundCallOffered'
            ? this.options.offerGiveUpAfterMs
            : this.options.giveUpAfterMs,
        attemptTimeoutMs: this.options.attemptTimeoutMs,
        signal: this.closing.signal,
        onRetry: (attempt, error) =>
          log.warn({ err: error, attempt, factId: fact.factId, callId: fact.callId }, 'fact publish retried'),
      });
    } catch (error) {
      throw new UnavailableError(
        `fact ${fact.fact?.$case ?? 'unknown'} of call ${fact.callId} not stored in JetStream`,
        { callId: fact.callId, legId: fact.legId },
        { cause: error },
      );
    }
  }
}
