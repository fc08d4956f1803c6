import { FactSequence } from '@callctl/bus';
import type { facts } from '@callctl/proto';
import type { Logger } from '@callctl/logging';
import {
  mediaFactOf,
  mixerLostFact,
  sessionLostFact,
  type LostMixerRoute,
  type LostSession,
} from '../domain/media-fact.js';
import { mixerLostFactId, sessionLostFactId } from './fact-ids.js';
import type { MediaEvent, MediaEvents } from './media-events.js';
import type { PublishMediaFact } from './ports.js';

export interface FactReportingDeps {
  events: MediaEvents;
  publish: PublishMediaFact;
  /** The fact's id: the same for the same playback end in every run of the worker (fact-ids.ts). */
  factIdOf(event: MediaEvent): string;
  /** The call a session's facts are published under (session-calls.ts). */
  callOf(sessionId: string): string;
  log: Logger;
}

/**
 * Turns every media event into a MediaFact for the orchestrator's durable consumer, so a digit or a
 * playback end is not lost when no orchestrator is connected. Facts of one session are published one after
 * the other, so its digits keep their order even while a publish is being retried; sessions do not wait for
 * each other. The fact id is made once, before the first attempt, so a retried publish is de-duplicated.
 */
export class FactReporting {
  readonly name = 'fact-reporting';
  /** The tail of each session's publish chain; removed when the chain drains. */
  private readonly tails = new Map<string, Promise<void>>();
  /** Per call, the publish chains of its facts still in flight (a call may have several sessions). */
  private readonly callTails = new Map<string, Set<Promise<void>>>();
  private readonly abort = new AbortController();
  /** Numbers each call's facts in the order they are reported (facts.v1 source_sequence). */
  private readonly sequence = new FactSequence();
  private stopListening: (() => void) | undefined;

  constructor(private readonly deps: FactReportingDeps) {}

  start(): void {
    this.stopListening = this.deps.events.listen((event) => this.report(event));
  }

  /** Stops taking new events and waits for the ones in flight, cutting their retries short after drainMs. */
  async close(drainMs: number): Promise<void> {
    this.stopListening?.();
    const timer = setTimeout(() => this.abort.abort(), drainMs);
    await Promise.all(this.tails.values());
    clearTimeout(timer);
  }

  /** Resolves once the facts of the session taken so far are published (or given up). */
  reported(sessionId: string): Promise<void> {
    return this.tails.get(sessionId) ?? Promise.resolve();
  }

  /**
   * Resolves once every fact taken so far for the call (on any of its sessions) is published or given up:
   * what the orchestrator waits for before applying a late end of a leg (FlushFacts).
   */
  async reportedForCall(callId: string): Promise<void> {
    await Promise.all(this.callTails.get(callId) ?? []);
  }

  /** A session vanished from the relay: reported after the session's facts already taken. */
  reportLost(lost: LostSession): void {
    const sessionId = lost.sessionId;
    this.enqueue(
      sessionLostFact(lost, sessionLostFactId(sessionId), this.deps.callOf(sessionId), Date.now()),
    );
  }

  /** A mixer died and the worker gave the party its direct path back: under the route's call (or the session's). */
  reportMixerLost(route: LostMixerRoute & { callId: string }): void {
    const { sessionId, tag, routeId } = route;
    const callId = route.callId || this.deps.callOf(sessionId);
    this.enqueue(mixerLostFact(route, mixerLostFactId(sessionId, tag, routeId), callId, Date.now()));
  }

  private report(event: MediaEvent): void {
    const fact = mediaFactOf(event, this.deps.factIdOf(event), this.deps.callOf(event.sessionId));
    if (fact) this.enqueue(fact);
  }

  /** Stamps the fact's place among this worker's facts of the call, then publishes it in session order. */
  private enqueue(made: facts.MediaFact): void {
    const fact = { ...made, sourceSequence: this.sequence.next(made.callId) };
    const sessionId = fact.sessionId;
    const previous = this.tails.get(sessionId) ?? Promise.resolve();
    const tail = previous.then(() => this.publish(fact));
    this.tails.set(sessionId, tail);
    const ofCall = this.callTails.get(fact.callId) ?? new Set();
    ofCall.add(tail);
    this.callTails.set(fact.callId, ofCall);
    void tail.then(() => {
      if (this.tails.get(sessionId) === tail) this.tails.delete(sessionId);
      ofCall.delete(tail);
      if (ofCall.size === 0 && this.callTails.get(fact.callId) === ofCall) this.callTails.delete(fact.callId);
    });
  }

  private async publish(fact: facts.MediaFact): Promise<void> {
    const context = {
      callId: fact.callId,
      sessionId: fact.sessionId,
      factId: fact.factId,
      fact: fact.fact?.$case,
    };
    try {
      await this.deps.publish(fact, this.abort.signal);
      this.deps.log.debug(context, 'media fact published');
    } catch (error) {
      // Out of retries: the orchestrator will not hear of it (its timers still end the operation).
      this.deps.log.error({ ...context, err: error }, 'media fact lost');
    }
  }
}
