// The durable consumer of CALLCTL_FACTS (facts.>: sip, media, recording and stream): each SipFact,
// MediaFact, RecordingFact and StreamFact becomes a Record* command on its call.
// A call's facts are applied strictly one after the other, in the order they happened
// (app/call-fact-queues.ts, app/fact-order.ts); calls do not wait for each other. A fact is acked only
// once its events are appended (or the command was a no-op). A transient failure (database down, version
// conflicts that outlasted their retries) retries THE SAME fact in place with capped exponential backoff,
// its message kept alive with `working()`, while the call's later facts wait behind it. A fact that cannot
// be decoded or that the domain refuses is kept as a dead letter (PostgreSQL, fact-dead-letters.ts) and
// terminated with a plain TERM: nats-server 2.9 ignores `+TERM <reason>` and would redeliver it forever.
// Recording a fact twice is a no-op (the command is skipped when an event of the stream already has the
// fact id as its causation id).
// After an outage of NATS, sip-edge and the media-worker publish what they held in an arbitrary order, and
// seconds apart when they reconnect at different times: a late fact waits a short reorder window for the
// call's other late facts (fact-order.ts), and a late end of a leg that may still take digits first asks the
// media-worker to publish what it holds for the call (FlushFacts) and takes in what is then on the stream,
// so a digit heard before the BYE is not applied after it.
import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import {
  consumeDurable,
  ensureFactsStream,
  FACTS_STREAM,
  mediaFactSubject,
  sipFactSubject,
  traceparentOf,
  type NatsConnection,
} from '@callctl/bus';
import { errorKindOf } from '@callctl/errors';
import type { Logger } from '@callctl/logging';
import { facts } from '@callctl/proto';
import { consumerSpan, inSpan, spansEnabled, workTraceparent } from '@callctl/telemetry';
import { CallFactQueues, type QueuedFact } from '../../app/call-fact-queues.js';
import { isLate } from '../../app/fact-order.js';
import {
  mediaFactCommand,
  recordingFactCommand,
  sipFactCommand,
  streamFactCommand,
  type FactCommand,
} from '../../app/fact-commands.js';
import type { CommandContext } from '../../app/handle-command.js';
import { PERMANENT_KINDS } from '../../app/errors.js';
import type { CallCommand, ReferPolicy } from '../../domain/call.commands.js';
import type { Clock, IdSource } from '../../app/ports.js';
import type { MediaLostAction } from '../../domain/capabilities/media-loss/media-loss.decide.js';
import type { FactDeadLetters } from '../dead-letters/fact-dead-letters.js';

export interface FactsConsumerOptions {
  nc: NatsConnection;
  /** Records one fact's command (app/process-managers/record-fact.ts). */
  record: (callId: string, command: CallCommand, context: CommandContext) => Promise<void>;
  deadLetters: FactDeadLetters;
  clock: Clock;
  ids: IdSource;
  log: Logger;
  /** @default 'call-orchestrator' */
  durableName?: string;
  /** What a vanished media session does to its legs. @default 'hangup' */
  mediaLostAction?: MediaLostAction;
  /** The maximum duration of an inbound call until AnswerLeg sets one (ms, 0 = none). @default 0 */
  defaultMaxDurationMs?: number;
  /** What a phone's REFER does (fact-commands.ts). @default DEFAULT_REFER_POLICY */
  referPolicy?: ReferPolicy;
  /** The first retry of a fact that failed for a transient reason; doubled each time. @default 200 */
  retryInitialMs?: number;
  /** The longest wait between two retries of one fact. @default 5000 */
  retryMaxMs?: number;
  /** Facts received and not yet settled (across calls) before the consumer stops taking more. @default 256 */
  maxInFlight?: number;
  /** Wait before setting the consumer up again after its message feed ended. @default 1000 */
  resubscribeMs?: number;
  /** JetStream redelivers a fact not acked (nor kept alive with working()) within this. @default 30000 */
  ackWaitMs?: number;
  /** How long a fact waits for its predecessor from the same source (fact-order.ts). @default 2000 */
  holdMs?: number;
  /** How long after it happened a leg-ending fact waits for the other source's earlier facts. @default 250 */
  crossSourceGraceMs?: number;
  /** Whether a leg may still take digits (app/fact-commands.ts mayTakeDigits); only its end waits. @default always */
  mayTakeDigits?: (callId: string, legId: string) => boolean;
  /** A fact that happened longer than this before it arrived is late (held up by an outage). @default 1000 */
  lateAfterMs?: number;
  /** How long a late fact waits for the call's other late facts, to apply them in order. @default 500 */
  reorderWindowMs?: number;
  /**
   * Resolves once the media-worker has published every fact it took for the call (MediaPort.flushFacts);
   * a late end of a leg that may take digits waits for it. Without it, such an end waits only the window.
   */
  flushMediaFacts?: (callId: string, timeoutMs: number) => Promise<void>;
  /** The longest a late leg end waits for the media-worker's facts of its call; then it goes anyway. @default 5000 */
  mediaFlushTimeoutMs?: number;
}

export interface FactsConsumer {
  /**
   * Waits (at most `timeoutMs`) until no fact of the call is waiting here or pending on CALLCTL_FACTS:
   * a deadline calls it before acting, so that what already happened on the wire is applied first.
   * Resolves false when facts were still pending at the deadline (or NATS could not be asked).
   */
  settle(callId: string, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
  /** Resolves when the consumer stops. */
  closed(): Promise<void>;
}

export function decodeFact(
  msg: Pick<JsMsg, 'subject' | 'data'>,
  now: number,
  ids: IdSource,
  mediaLostAction?: MediaLostAction,
  defaultMaxDurationMs = 0,
  referPolicy?: ReferPolicy,
): FactCommand {
  if (msg.subject.startsWith('facts.sip.')) {
    const fact = facts.SipFact.decode(msg.data);
    return sipFactCommand(fact, now, ids.fromName('fact', fact.factId), defaultMaxDurationMs, referPolicy);
  }
  if (msg.subject.startsWith('facts.media.')) {
    const fact = facts.MediaFact.decode(msg.data);
    return mediaFactCommand(fact, now, ids.fromName('fact', fact.factId), mediaLostAction);
  }
  if (msg.subject.startsWith('facts.recording.')) {
    const fact = facts.RecordingFact.decode(msg.data);
    return recordingFactCommand(fact, now, ids.fromName('fact', fact.factId));
  }
  if (msg.subject.startsWith('facts.stream.')) {
    const fact = facts.StreamFact.decode(msg.data);
    return streamFactCommand(fact, now, ids.fromName('fact', fact.factId));
  }
  throw new Error(`no fact type for subject ${msg.subject}`);
}

interface Delivered extends QueuedFact {
  /** The latest delivery of the message (a redelivery replaces it). */
  msg: JsMsg;
  streamSequence: number;
  fact: FactCommand;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFactsConsumer(o: FactsConsumerOptions): Promise<FactsConsumer> {
  const retryInitialMs = o.retryInitialMs ?? 200;
  const retryMaxMs = o.retryMaxMs ?? 5000;
  const maxInFlight = o.maxInFlight ?? 256;
  const resubscribeMs = o.resubscribeMs ?? 1000;
  const ackWaitMs = o.ackWaitMs ?? 30_000;
  const durableName = o.durableName ?? 'call-orchestrator';
  const lateAfterMs = o.lateAfterMs ?? 1000;
  const mediaFlushTimeoutMs = o.mediaFlushTimeoutMs ?? 5000;
  const subscribe = async () => {
    await ensureFactsStream(o.nc);
    const m = await consumeDurable(o.nc, { stream: FACTS_STREAM, durableName, ackWaitMs });
    // The client keeps pulling from a consumer or stream that is gone, waiting for someone to create it
    // again: that someone is us. Closing the feed ends consume() below, which sets both up again.
    void (async () => {
      for await (const status of m.status())
        if (
          status.type === 'consumer_deleted' ||
          status.type === 'consumer_not_found' ||
          status.type === 'stream_not_found'
        ) {
          o.log.warn({ status: status.type }, 'facts consumer lost');
          await m.close();
          return;
        }
    })().catch(() => undefined);
    return m;
  };
  let messages: ConsumerMessages = await subscribe();
  let closing = false;
  const stopping = new AbortController();
  /** A wait between retries that closing cuts short. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stopping.signal.addEventListener('abort', done);
    });
  /** Facts received and not settled, by stream sequence: a redelivery only refreshes the message. */
  const unsettled = new Map<number, Delivered>();
  /** Per call, the highest stream sequence settled here (settle() compares the stream's last with it). */
  const settledUpTo = new Map<string, number>();
  /** The highest stream sequence received: the consumer delivers in stream order, so all before it came. */
  let receivedUpTo = 0;
  let freed: (() => void) | undefined;

  /** Runs `attempt` until it succeeds, backing off (capped) between transient failures. */
  async function inPlace(
    d: Pick<Delivered, 'msg'>,
    what: string,
    about: object,
    attempt: () => Promise<void>,
  ) {
    let delayMs = retryInitialMs;
    for (let failures = 1; ; failures++) {
      try {
        await attempt();
        return true;
      } catch (error) {
        if (PERMANENT_KINDS.has(errorKindOf(error))) throw error;
        if (closing) return false;
        o.log.warn(
          { ...about, err: error, failures, retryInMs: delayMs },
          `${what} failed; retrying in place`,
        );
        d.msg.working();
        await pause(delayMs);
        delayMs = Math.min(delayMs * 2, retryMaxMs);
      }
    }
  }

  async function deadLetter(
    d: Pick<Delivered, 'msg'> & { factId: string; callId: string },
    kind: string,
    error: unknown,
  ): Promise<void> {
    const about = { callId: d.callId, factId: d.factId, kind };
    o.log.warn({ ...about, err: error }, 'fact refused; kept as a dead letter and terminated');
    const kept = await inPlace(d, 'keeping a dead letter', about, () =>
      o.deadLetters
        .keep(
          {
            factId: d.factId,
            callId: d.callId,
            subject: d.msg.subject,
            kind,
            reason: error instanceof Error ? error.message : String(error),
            payload: d.msg.data,
            streamSequence: d.msg.info.streamSequence,
            deliveryCount: d.msg.info.deliveryCount,
          },
          o.clock(),
        )
        .catch((error: unknown) => {
          // Whatever its kind, it is not the fact's refusal: a plain error, retried.
          throw new Error('dead letter not kept', { cause: error });
        }),
    );
    if (kept)
      d.msg.term(); // no reason: nats-server 2.9 ignores `+TERM <reason>` (see the README)
    else d.msg.nak();
  }

  async function apply(d: Delivered): Promise<void> {
    const { fact } = d;
    const about = { callId: fact.callId, factId: fact.factId, command: fact.command.type };
    try {
      const producer = traceparentOf(d.msg.headers);
      const done = await inSpan(
        () =>
          consumerSpan({
            destination: d.msg.subject,
            template: d.msg.subject.replace(/[^.]+$/, '*'),
            messageId: fact.factId,
            bodySize: d.msg.data.byteLength,
            consumerGroup: durableName,
            ...(producer ? { producer } : {}),
          }),
        () =>
          inPlace(d, 'recording a fact', about, () =>
            o.record(fact.callId, fact.command, {
              causationId: fact.factId,
              correlationId: fact.factId,
              onceForCausation: true,
              // The trace of the work that caused the fact (the command that placed the call, a playback's
              // play); with spans on, this consumer span, the producer's child.
              traceparent: producer && spansEnabled() ? workTraceparent() : producer,
            }),
          ),
      );
      if (done) d.msg.ack();
      else d.msg.nak();
    } catch (error) {
      await deadLetter(d, errorKindOf(error), error);
    }
    unsettled.delete(d.streamSequence);
    settledUpTo.set(d.callId, Math.max(settledUpTo.get(d.callId) ?? 0, d.streamSequence));
    freed?.();
  }

  const queues = new CallFactQueues<Delivered>({
    apply,
    clock: o.clock,
    log: o.log,
    holdMs: o.holdMs ?? 2000,
    crossSourceGraceMs: o.crossSourceGraceMs ?? 250,
    lateAfterMs,
    reorderWindowMs: o.reorderWindowMs ?? 500,
  });
  // Facts waiting behind another of their call must not be redelivered meanwhile.
  const keepAlive = setInterval(() => {
    for (const d of unsettled.values()) d.msg.working();
  }, ackWaitMs / 3);
  keepAlive.unref();

  /** Dead letters of undecodable facts being kept: they belong to no call's queue. */
  const refusing = new Set<Promise<void>>();

  function receive(msg: JsMsg): void {
    const known = unsettled.get(msg.info.streamSequence);
    if (known) {
      known.msg = msg;
      return;
    }
    receivedUpTo = Math.max(receivedUpTo, msg.info.streamSequence);
    let fact: FactCommand;
    try {
      fact = decodeFact(msg, o.clock(), o.ids, o.mediaLostAction, o.defaultMaxDurationMs, o.referPolicy);
    } catch (error) {
      // Not awaited: keeping it is retried in place while PostgreSQL is down, and the feed must go on.
      const keeping = deadLetter(
        { msg, factId: `undecodable:${msg.info.streamSequence}`, callId: '' },
        'undecodable',
        error,
      ).finally(() => refusing.delete(keeping));
      refusing.add(keeping);
      return;
    }
    const { command } = fact;
    const endsLeg =
      command.type === 'RecordLegEnded' &&
      fact.order.endsLeg &&
      (o.mayTakeDigits?.(fact.callId, command.data.legId) ?? true);
    const d: Delivered = {
      ...fact.order,
      endsLeg,
      callId: fact.callId,
      factId: fact.factId,
      arrivedAtMs: o.clock(),
      msg,
      streamSequence: msg.info.streamSequence,
      fact,
    };
    unsettled.set(d.streamSequence, d);
    queues.add(d, endsLeg && isLate(d, lateAfterMs) ? takeInMediaFacts(d.callId) : undefined);
  }

  /**
   * Waits (at most mediaFlushTimeoutMs) until the media-worker has published what it holds for the call and
   * those facts were received here; never rejects: past the bound, what is here goes on (and it says so).
   */
  async function takeInMediaFacts(callId: string): Promise<void> {
    if (!o.flushMediaFacts) return;
    const startedAt = o.clock();
    const left = () => startedAt + mediaFlushTimeoutMs - o.clock();
    try {
      await o.flushMediaFacts(callId, mediaFlushTimeoutMs);
      while (!closing && left() > 0) {
        if ((await newestOnStream(callId, Math.max(100, left()))) <= receivedUpTo) return;
        await pause(Math.min(50, left()));
      }
      if (!closing) throw new Error('facts of the call still on the stream, not received');
    } catch (error) {
      if (closing) return; // the fact is nak'ed and redelivered: no harm done
      o.log.warn(
        { callId, err: error, waitedMs: o.clock() - startedAt },
        "late leg end applied without all of the media-worker's facts of the call",
      );
    }
  }

  const consume = async () => {
    for await (const msg of messages) {
      receive(msg);
      while (unsettled.size >= maxInFlight && !closing)
        await new Promise<void>((resolve) => (freed = resolve));
    }
  };
  // The feed ends when the consumer or the stream was lost (JetStream restarted without its state, an
  // operator deleted it): facts must keep flowing, so the consumer is set up again. It resumes where its
  // durable state says, or from the start of the stream; recording a fact twice is a no-op.
  const done = (async () => {
    while (!closing) {
      await consume().catch((error: unknown) => o.log.error({ err: error }, 'facts consumer failed'));
      if (closing) break;
      o.log.warn({ resubscribeMs }, 'facts consumer ended; setting it up again');
      await sleep(resubscribeMs);
      messages = await subscribe().catch((error: unknown) => {
        o.log.error({ err: error }, 'facts consumer could not be set up; retrying');
        return messages;
      });
    }
    clearInterval(keepAlive);
    // Left waiting: redelivered at once to whichever instance goes on.
    for (const d of await queues.close()) d.msg.nak();
    await Promise.all(refusing);
  })();

  /** The stream sequence of the call's newest fact on CALLCTL_FACTS; 0 when it has none. */
  async function newestOnStream(callId: string, timeoutMs: number): Promise<number> {
    const jsm = await jetstreamManager(o.nc, { timeout: timeoutMs });
    const last = async (subject: string) => {
      try {
        return (await jsm.streams.getMessage(FACTS_STREAM, { last_by_subj: subject }))?.seq ?? 0;
      } catch (error) {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound) return 0;
        throw error;
      }
    };
    return Math.max(await last(sipFactSubject(callId)), await last(mediaFactSubject(callId)));
  }

  /** Whether the stream holds a fact of the call past what was settled (here or by the consumer). */
  async function pendingOnStream(callId: string, timeoutMs: number): Promise<boolean> {
    const newest = await newestOnStream(callId, timeoutMs);
    if (newest === 0 || newest <= (settledUpTo.get(callId) ?? 0)) return false;
    const info = await (
      await jetstreamManager(o.nc, { timeout: timeoutMs })
    ).consumers.info(FACTS_STREAM, durableName);
    return newest > info.ack_floor.stream_seq;
  }

  async function settle(callId: string, timeoutMs: number): Promise<boolean> {
    const until = o.clock() + timeoutMs;
    for (;;) {
      const left = until - o.clock();
      if (left <= 0) return false;
      if (queues.unsettled(callId).length > 0) {
        await Promise.race([queues.idle(callId), sleep(left)]);
        continue;
      }
      try {
        if (!(await pendingOnStream(callId, Math.max(100, left)))) return true;
      } catch (error) {
        o.log.warn({ callId, err: error }, 'pending facts of the call could not be looked up');
        return false;
      }
      await sleep(Math.min(50, left));
    }
  }

  return {
    settle,
    close: async () => {
      closing = true;
      stopping.abort();
      freed?.();
      await messages.close();
      await done;
    },
    closed: () => done,
  };
}
