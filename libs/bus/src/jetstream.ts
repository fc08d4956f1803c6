import { nanos, type NatsConnection } from '@nats-io/nats-core';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type StreamInfo,
} from '@nats-io/jetstream';
import {
  CALL_EVENTS_STREAM,
  CALL_EVENTS_SUBJECTS,
  CALL_EVENTS_JSON_PREFIX,
  CALLBACK_EVENTS_STREAM,
  CALLBACK_EVENTS_SUBJECTS,
  CALLBACK_EVENTS_JSON_PREFIX,
  FACTS_STREAM,
  FACTS_SUBJECTS,
} from './subjects.js';

export interface EnsureStreamOptions {
  name: string;
  subjects: string[];
  /**
   * JetStream drops a second publish with the same Nats-Msg-Id inside this window. It must be longer
   * than the longest time a publisher may re-send after a crash (see the relay). @default 600000 (10 min)
   */
  duplicateWindowMs?: number;
  /** @default 7 days */
  maxAgeMs?: number;
  /** Keep only this many messages per subject (1: the last value of each key). @default unlimited */
  maxMsgsPerSubject?: number;
}

export const DEFAULT_DUPLICATE_WINDOW_MS = 10 * 60_000;
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 3_600_000;

/** Creates the stream, or updates its subjects and limits when it exists: safe to call at every start. */
export async function ensureStream(nc: NatsConnection, options: EnsureStreamOptions): Promise<StreamInfo> {
  const jsm = await jetstreamManager(nc);
  const config = {
    name: options.name,
    subjects: options.subjects,
    duplicate_window: nanos(options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
    max_age: nanos(options.maxAgeMs ?? DEFAULT_MAX_AGE_MS),
    ...(options.maxMsgsPerSubject !== undefined ? { max_msgs_per_subject: options.maxMsgsPerSubject } : {}),
  };
  try {
    await jsm.streams.info(options.name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      return jsm.streams.add(config);
    }
    throw error;
  }
  return jsm.streams.update(options.name, config);
}

/** CALL_EVENTS with `calls.>` and the JSON tree `calls-json.>`. */
export function ensureCallEventsStream(
  nc: NatsConnection,
  options: Partial<Omit<EnsureStreamOptions, 'name' | 'subjects'>> = {},
): Promise<StreamInfo> {
  return ensureStream(nc, {
    ...options,
    name: CALL_EVENTS_STREAM,
    subjects: [CALL_EVENTS_SUBJECTS, `${CALL_EVENTS_JSON_PREFIX}.>`],
  });
}

/** CALLBACK_EVENTS with `callbacks.>` and the JSON tree `callbacks-json.>`. */
export function ensureCallbackEventsStream(
  nc: NatsConnection,
  options: Partial<Omit<EnsureStreamOptions, 'name' | 'subjects'>> = {},
): Promise<StreamInfo> {
  return ensureStream(nc, {
    ...options,
    name: CALLBACK_EVENTS_STREAM,
    subjects: [CALLBACK_EVENTS_SUBJECTS, `${CALLBACK_EVENTS_JSON_PREFIX}.>`],
  });
}

/** The internal facts stream (see FACTS_STREAM); same duplicate window as the call events. */
export function ensureFactsStream(
  nc: NatsConnection,
  options: Partial<Omit<EnsureStreamOptions, 'name' | 'subjects'>> = {},
): Promise<StreamInfo> {
  return ensureStream(nc, { ...options, name: FACTS_STREAM, subjects: [FACTS_SUBJECTS] });
}

export interface DurableConsumerOptions {
  stream: string;
  durableName: string;
  /** @default all subjects of the stream */
  filterSubject?: string;
  /** Redelivered when not acked within this long. @default 30000 */
  ackWaitMs?: number;
}

/**
 * A durable pull consumer with explicit ack; iterate the returned messages and `ack()` each one once it
 * has been handled. Creating it again with the same name resumes where it stopped.
 */
export async function consumeDurable(
  nc: NatsConnection,
  options: DurableConsumerOptions,
): Promise<ConsumerMessages> {
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(options.stream, {
    durable_name: options.durableName,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    ...(options.filterSubject ? { filter_subject: options.filterSubject } : {}),
  });
  const consumer = await jetstream(nc).consumers.get(options.stream, options.durableName);
  return consumer.consume();
}
