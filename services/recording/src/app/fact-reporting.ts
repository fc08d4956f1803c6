import { FactSequence } from '@callctl/bus';
import type { facts } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import type { PublishRecordingFact } from './service-ports.js';

/**
 * Hands RecordingFacts to the bus without making the caller wait: facts of one recording are published one
 * after the other (RecorderStopped before RecordingPartSaved, even while a publish is being retried through
 * a NATS outage), recordings do not wait for each other. Each fact is numbered per recording
 * (source_sequence) when it is taken. As the media-worker's FactReporting, a fact is given up only after
 * the publisher's give-up time, or at close() after the drain time.
 */
export class RecordingFactReporting {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly sequence = new FactSequence();

  constructor(
    private readonly publish: PublishRecordingFact,
    private readonly log: Logger,
  ) {}

  report(made: facts.RecordingFact): void {
    const fact = { ...made, sourceSequence: this.sequence.next(made.recordingId) };
    const key = fact.recordingId;
    const tail = (this.tails.get(key) ?? Promise.resolve()).then(() => this.send(fact));
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
  }

  /** Resolves once the recording's facts taken so far are published (or given up). */
  reported(recordingId: string): Promise<void> {
    return this.tails.get(recordingId) ?? Promise.resolve();
  }

  /** Waits for the facts in flight, cutting their retries short after drainMs. */
  async close(drainMs: number): Promise<void> {
    const timer = setTimeout(() => this.abort.abort(), drainMs);
    await Promise.all(this.tails.values());
    clearTimeout(timer);
  }

  private async send(fact: facts.RecordingFact): Promise<void> {
    const context = {
      callId: fact.callId,
      recordingId: fact.recordingId,
      factId: fact.factId,
      fact: fact.fact?.$case,
    };
    try {
      await this.publish(fact, this.abort.signal);
      this.log.debug(context, 'recording fact published');
    } catch (error) {
      // Out of retries: the orchestrator will not hear of it; GetRecording still shows the truth.
      this.log.error({ ...context, err: error }, 'recording fact lost');
    }
  }
}
