// Facts a service reports on CALLCTL_FACTS about things it runs (a recording, a media stream): each is
// published durably (retried under its fact id until JetStream acks it), the facts of one thing in order,
// numbered per thing (source_sequence) when taken, and nobody waits for the bus. The recording service and
// the stream gateway share this; the shape of their facts is the same (fact id, call id, a oneof).
import type { NatsConnection } from '@nats-io/nats-core';
import { publishDurably } from './durable-publish.js';
import { FactSequence } from './fact-sequence.js';
import type { ProtoCodec } from './messages.js';

/** What the reporting logs through (a pino logger fits). */
export interface FactLog {
  debug(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}

/** The fields every fact message has (facts.proto). */
export interface ReportedFact {
  factId: string;
  callId: string;
  sourceSequence: number;
  fact?: { $case: string } | undefined;
}

/** Publishes one fact, retried until acknowledged or `signal` aborts / the publisher gives up. */
export type PublishFact<T> = (fact: T, signal: AbortSignal) => Promise<void>;

export interface DurableFactPublisherOptions<T> {
  codec: ProtoCodec<T>;
  /** The fact's subject (e.g. streamFactSubject(fact.callId)). */
  subjectOf(fact: T): string;
  /** Give up on one fact after this long (keep it below the stream's duplicate window). */
  giveUpAfterMs: number;
  /** Deadline of one attempt, waiting for JetStream's ack. */
  attemptTimeoutMs: number;
  log: FactLog;
  /** Log fields naming the fact's subject (its recording id, stream id). */
  describe(fact: T): object;
}

/**
 * Publishes a fact with Nats-Msg-Id = fact id, retried until acked: a NATS outage shorter than
 * giveUpAfterMs delays the fact, it does not lose it.
 */
export function durableFactPublisher<T extends ReportedFact>(
  nc: NatsConnection,
  options: DurableFactPublisherOptions<T>,
): PublishFact<T> {
  return async (fact, signal) => {
    await publishDurably(nc, options.subjectOf(fact), options.codec, fact, {
      msgId: fact.factId,
      giveUpAfterMs: options.giveUpAfterMs,
      attemptTimeoutMs: options.attemptTimeoutMs,
      signal,
      onRetry: (attempt, error) =>
        options.log.warn(
          { ...options.describe(fact), factId: fact.factId, attempt, err: error },
          'fact not acknowledged, retrying',
        ),
    });
  };
}

export interface OrderedFactReportingOptions<T> {
  publish: PublishFact<T>;
  log: FactLog;
  /** What the facts are ordered and numbered by (a recording id, a stream id). */
  keyOf(fact: T): string;
  /** Log fields naming the fact's subject. */
  describe(fact: T): object;
}

/**
 * Hands facts to the bus without making the caller wait: facts of one key are published one after the
 * other (even while a publish is being retried through a NATS outage), keys do not wait for each other.
 * Each fact is numbered per key (source_sequence) when it is taken. A fact is given up only after the
 * publisher's give-up time, or at close() after the drain time.
 */
export class OrderedFactReporting<T extends ReportedFact> {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly sequence = new FactSequence();

  constructor(private readonly options: OrderedFactReportingOptions<T>) {}

  report(made: T): void {
    const key = this.options.keyOf(made);
    const fact = { ...made, sourceSequence: this.sequence.next(key) };
    const tail = (this.tails.get(key) ?? Promise.resolve()).then(() => this.send(fact));
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
  }

  /** Resolves once the key's facts taken so far are published (or given up). */
  reported(key: string): Promise<void> {
    return this.tails.get(key) ?? Promise.resolve();
  }

  /** Waits for the facts in flight, cutting their retries short after drainMs. */
  async close(drainMs: number): Promise<void> {
    const timer = setTimeout(() => this.abort.abort(), drainMs);
    await Promise.all(this.tails.values());
    clearTimeout(timer);
  }

  private async send(fact: T): Promise<void> {
    const context = {
      ...this.options.describe(fact),
      callId: fact.callId,
      factId: fact.factId,
      fact: fact.fact?.$case,
    };
    try {
      await this.options.publish(fact, this.abort.signal);
      this.options.log.debug(context, 'fact published');
    } catch (error) {
      // Out of retries: the orchestrator will not hear of it; the service's own state still shows the truth.
      this.options.log.error({ ...context, err: error }, 'fact lost');
    }
  }
}
