// What happens to the callbacks' calls, from the public CALL_EVENTS stream, through ONE durable consumer that
// every instance shares (each event goes to one of them). The call's client_state (`callback:<id>`) names
// the callback; events of other calls, and types a callback does not react to, are acked and ignored. An
// event is acked only once the callback's reaction to it is in the callback log: a failure to record it
// (the database down) is retried in place, the message kept alive, so a callback's events stay in order.
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { CALL_EVENTS_STREAM, ensureCallEventsStream } from '@callctl/bus';
import { callEventCodecs, isValidationError, RELAY_HEADERS } from '@callctl/eventstore';
import type { Logger } from '@callctl/logging';
import { KeyedQueue } from '@callctl/service';
import { CALL_EVENT_TYPES, callbackIdOfClientState, type CallEventIn } from '../../domain/callback.decide.js';

export interface CallEventsConsumerOptions {
  nc: NatsConnection;
  durableName: string;
  /** Resolves once the reaction is recorded; rejects when it could not be (retried). */
  onCallEvent(callbackId: string, event: CallEventIn, recordedAt: Date): Promise<void>;
  log: Logger;
  /** @default 30000 */
  ackWaitMs?: number;
  /** @default 256 */
  maxInFlight?: number;
  /** @default 200, doubling to 5000 */
  retryInitialMs?: number;
  /** Wait before setting the consumer up again after its feed ended. @default 1000 */
  resubscribeMs?: number;
}

export interface CallEventsConsumer {
  close(): Promise<void>;
}

/** The durable consumer, created at the stream's end the first time (a new service has no past calls). */
export async function ensureCallEventsConsumer(nc: NatsConnection, durableName: string, ackWaitMs: number) {
  await ensureCallEventsStream(nc);
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.consumers.info(CALL_EVENTS_STREAM, durableName);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.ConsumerNotFound)
      throw error;
    await jsm.consumers.add(CALL_EVENTS_STREAM, {
      durable_name: durableName,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      ack_wait: nanos(ackWaitMs),
    });
  }
}

/** The event a message carries, if a callback reacts to its type; undefined for anything else. */
export function decodeCallEvent(
  msg: Pick<JsMsg, 'data' | 'headers'>,
): { event: CallEventIn; recordedAt: Date } | undefined {
  const type = msg.headers?.get(RELAY_HEADERS.eventType) ?? '';
  if (!CALL_EVENT_TYPES.has(type)) return undefined;
  const codec = CODECS.get(type);
  if (!codec) return undefined;
  const recordedAt = new Date(msg.headers?.get(RELAY_HEADERS.recordedAt) ?? '');
  const data = codec.decode(msg.data);
  return {
    event: { type, data } as CallEventIn,
    recordedAt: Number.isNaN(recordedAt.getTime()) ? new Date() : recordedAt,
  };
}

const CODECS = callEventCodecs();

export async function startCallEventsConsumer(o: CallEventsConsumerOptions): Promise<CallEventsConsumer> {
  const ackWaitMs = o.ackWaitMs ?? 30_000;
  const maxInFlight = o.maxInFlight ?? 256;
  let closing = false;
  const stopping = new AbortController();
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      stopping.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  const subscribe = async (): Promise<ConsumerMessages> => {
    await ensureCallEventsConsumer(o.nc, o.durableName, ackWaitMs);
    const consumer = await jetstream(o.nc).consumers.get(CALL_EVENTS_STREAM, o.durableName);
    return consumer.consume();
  };
  let messages = await subscribe();
  const inFlight = new Set<Promise<void>>();
  const inOrder = new KeyedQueue();

  async function handle(msg: JsMsg): Promise<void> {
    let decoded: ReturnType<typeof decodeCallEvent>;
    try {
      decoded = decodeCallEvent(msg);
    } catch (error) {
      o.log.warn({ err: error, subject: msg.subject }, 'call event not decodable; ignored');
      msg.ack();
      return;
    }
    const callbackId = decoded && callbackIdOfClientState(decoded.event.data.clientState);
    if (!decoded || !callbackId) {
      msg.ack();
      return;
    }
    // One callback's events one after the other, retries included: a reaction the log could not take (the
    // database down) is retried before the callback's next event is handed over, so none overtakes another.
    // Waiting its turn is work in progress, not a lost message: JetStream is told so before its ack wait ends.
    const keepAlive = setInterval(() => msg.working(), Math.max(1000, ackWaitMs / 3));
    try {
      await inOrder.run(callbackId, () => react(msg, callbackId, decoded));
    } finally {
      clearInterval(keepAlive);
    }
  }

  async function react(
    msg: JsMsg,
    callbackId: string,
    decoded: NonNullable<ReturnType<typeof decodeCallEvent>>,
  ): Promise<void> {
    let delayMs = o.retryInitialMs ?? 200;
    for (;;) {
      try {
        await o.onCallEvent(callbackId, decoded.event, decoded.recordedAt);
        msg.ack();
        return;
      } catch (error) {
        if (isValidationError(error)) {
          // The log refused what the reaction would record: retrying cannot help, and would hold the callback.
          o.log.error(
            { err: error, callbackId, type: decoded.event.type },
            'reaction refused by the log; event skipped',
          );
          msg.ack();
          return;
        }
        if (closing) {
          msg.nak();
          return;
        }
        o.log.warn(
          { err: error, callbackId, type: decoded.event.type, retryInMs: delayMs },
          'reaction not recorded; retrying',
        );
        msg.working();
        await pause(delayMs);
        delayMs = Math.min(delayMs * 2, 5000);
      }
    }
  }

  const done = (async () => {
    while (!closing) {
      try {
        for await (const msg of messages) {
          const h = handle(msg).finally(() => inFlight.delete(h));
          inFlight.add(h);
          while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        }
      } catch (error) {
        o.log.error({ err: error }, 'call events consumer failed');
      }
      if (closing) break;
      o.log.warn('call events consumer ended; setting it up again');
      await pause(o.resubscribeMs ?? 1000);
      messages = await subscribe().catch((error: unknown) => {
        o.log.error({ err: error }, 'call events consumer could not be set up; retrying');
        return messages;
      });
    }
    await Promise.all(inFlight);
  })();

  return {
    async close() {
      closing = true;
      stopping.abort();
      await messages.close();
      await done;
    },
  };
}
