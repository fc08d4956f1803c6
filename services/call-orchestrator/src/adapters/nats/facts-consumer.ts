// The durable consumer of CALLCTL_FACTS: each SipFact/MediaFact becomes a Record* command on its call. A
// fact is acked only once its events are appended (or the command was a no-op); a fact that cannot be
// decoded or that the domain refuses is logged and terminated, so it never blocks the ones behind it.
// Transient failures (database down, version conflicts that outlasted their retries) are nak'ed and
// redelivered; recording a fact twice is a no-op (the command is skipped when an event of the stream
// already has the fact id as its causation id).
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import {
  consumeDurable,
  ensureFactsStream,
  FACTS_STREAM,
  traceparentOf,
  type NatsConnection,
} from '@callctl/bus';
import { errorKindOf } from '@callctl/errors';
import type { Logger } from '@callctl/logging';
import { facts } from '@callctl/proto';
import { mediaFactCommand, sipFactCommand, type FactCommand } from '../../app/fact-commands.js';
import type { CommandContext } from '../../app/handle-command.js';
import { PERMANENT_KINDS } from '../../app/errors.js';
import type { CallCommand } from '../../domain/call.commands.js';
import type { Clock, IdSource } from '../../app/ports.js';
import type { MediaLostAction } from '../../domain/capabilities/media-loss/media-loss.decide.js';

export interface FactsConsumerOptions {
  nc: NatsConnection;
  /** Records one fact's command (app/process-managers/record-fact.ts). */
  record: (callId: string, command: CallCommand, context: CommandContext) => Promise<void>;
  clock: Clock;
  ids: IdSource;
  log: Logger;
  /** @default 'call-orchestrator' */
  durableName?: string;
  /** What a vanished media session does to its legs. @default 'hangup' */
  mediaLostAction?: MediaLostAction;
  /** A nak'ed fact comes back after this long. @default 1000 */
  retryDelayMs?: number;
  /** Facts handled at once (across calls). @default 64 */
  maxInFlight?: number;
  /** Wait before setting the consumer up again after its message feed ended. @default 1000 */
  resubscribeMs?: number;
}

export interface FactsConsumer {
  close(): Promise<void>;
  /** Resolves when the consumer stops. */
  closed(): Promise<void>;
}

export function decodeFact(
  msg: Pick<JsMsg, 'subject' | 'data'>,
  now: number,
  ids: IdSource,
  mediaLostAction?: MediaLostAction,
): FactCommand {
  if (msg.subject.startsWith('facts.sip.')) {
    const fact = facts.SipFact.decode(msg.data);
    return sipFactCommand(fact, now, ids.fromName('fact', fact.factId));
  }
  if (msg.subject.startsWith('facts.media.')) {
    const fact = facts.MediaFact.decode(msg.data);
    return mediaFactCommand(fact, now, ids.fromName('fact', fact.factId), mediaLostAction);
  }
  throw new Error(`no fact type for subject ${msg.subject}`);
}

export async function startFactsConsumer(o: FactsConsumerOptions): Promise<FactsConsumer> {
  const retryDelayMs = o.retryDelayMs ?? 1000;
  const maxInFlight = o.maxInFlight ?? 64;
  const resubscribeMs = o.resubscribeMs ?? 1000;
  const subscribe = async () => {
    await ensureFactsStream(o.nc);
    const m = await consumeDurable(o.nc, {
      stream: FACTS_STREAM,
      durableName: o.durableName ?? 'call-orchestrator',
    });
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

  async function handle(msg: JsMsg): Promise<void> {
    let fact: FactCommand;
    try {
      fact = decodeFact(msg, o.clock(), o.ids, o.mediaLostAction);
    } catch (error) {
      o.log.error({ subject: msg.subject, err: error }, 'undecodable fact; terminated');
      msg.term('undecodable');
      return;
    }
    const about = { callId: fact.callId, factId: fact.factId, command: fact.command.type };
    try {
      await o.record(fact.callId, fact.command, {
        causationId: fact.factId,
        correlationId: fact.factId,
        onceForCausation: true,
        // The trace of the work that caused the fact (the command that placed the call, a playback's play).
        traceparent: traceparentOf(msg.headers),
      });
      msg.ack();
    } catch (error) {
      const kind = errorKindOf(error);
      if (PERMANENT_KINDS.has(kind)) {
        o.log.warn({ ...about, err: error }, 'fact refused; terminated');
        msg.term(kind);
      } else {
        o.log.warn({ ...about, err: error }, 'fact not recorded; redelivering');
        msg.nak(retryDelayMs);
      }
    }
  }

  // Facts of different calls run concurrently, so a slow action on one call (a prompt being downloaded)
  // does not hold up the others. Each call's facts keep their order: handle() takes its place in the
  // call's queue (app/call-locks.ts) synchronously, in delivery order (sip-edge publishes in SIP order).
  const inFlight = new Set<Promise<void>>();
  const consume = async () => {
    for await (const msg of messages) {
      const running = handle(msg).finally(() => inFlight.delete(running));
      inFlight.add(running);
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
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
      await new Promise((resolve) => setTimeout(resolve, resubscribeMs));
      messages = await subscribe().catch((error: unknown) => {
        o.log.error({ err: error }, 'facts consumer could not be set up; retrying');
        return messages;
      });
    }
    await Promise.all(inFlight);
  })();

  return {
    close: async () => {
      closing = true;
      await messages.close();
      await done;
    },
    closed: () => done,
  };
}
