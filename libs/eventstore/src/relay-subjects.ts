// Where the relay publishes each stream category: one row per category, so a new kind of stream
// (callbacks, configuration) needs a row here and nothing else in the relay.
import type { NatsConnection } from '@nats-io/nats-core';
import {
  CALL_EVENTS_JSON_PREFIX,
  CALLBACK_EVENTS_JSON_PREFIX,
  ensureCallEventsStream,
  ensureCallbackEventsStream,
  eventSubjectToken,
} from '@callctl/bus';

export interface RelayCategory {
  /** The category of `<category>-<id>` stream ids (stream-id.ts grammar). */
  readonly category: string;
  /** Subjects are `<subjectPrefix>.<id>.<snake_case event type>`. */
  readonly subjectPrefix: string;
  /** The proto3 JSON copies (RelayOptions.publishJson) go to `<jsonSubjectPrefix>.<id>.<type>`. */
  readonly jsonSubjectPrefix: string;
  /** Creates the JetStream stream that holds both subject trees (called before the first publish). */
  readonly ensureStream: (nc: NatsConnection) => Promise<unknown>;
}

/** `call-<callId>` -> `calls.<callId>.<type>` on CALL_EVENTS (the subjects @callctl/bus spells). */
export const CALL_CATEGORY: RelayCategory = {
  category: 'call',
  subjectPrefix: 'calls',
  jsonSubjectPrefix: CALL_EVENTS_JSON_PREFIX,
  ensureStream: (nc) => ensureCallEventsStream(nc),
};

/**
 * `callback-<callbackId>` -> `callbacks.<callbackId>.<type>` on CALLBACK_EVENTS: the callback service's own
 * log, published by the relay that service runs over its own database.
 */
export const CALLBACK_CATEGORY: RelayCategory = {
  category: 'callback',
  subjectPrefix: 'callbacks',
  jsonSubjectPrefix: CALLBACK_EVENTS_JSON_PREFIX,
  ensureStream: (nc) => ensureCallbackEventsStream(nc),
};

/** The categories the relay publishes by default (the call-orchestrator's). */
export const RELAY_CATEGORIES: readonly RelayCategory[] = [CALL_CATEGORY];

/** The id becomes one subject token, so `.`, `*`, `>` and spaces are out (stream ids may hold `.` and `:`). */
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;

export interface EventSubjects {
  readonly category: RelayCategory;
  readonly subject: string;
  readonly jsonSubject: string;
}

/** Looks categories up by name; refuses a table that names one twice. */
export function categoryTable(categories: readonly RelayCategory[]): ReadonlyMap<string, RelayCategory> {
  const table = new Map<string, RelayCategory>();
  for (const c of categories) {
    if (table.has(c.category)) throw new Error(`relay: category ${c.category} is listed twice`);
    table.set(c.category, c);
  }
  return table;
}

/** The category of a stream id (`call` of `call-123`). */
export function categoryOfStream(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash < 0 ? streamId : streamId.slice(0, dash);
}

/**
 * The subjects an event of this stream is published on, or undefined when its category has no row or its
 * id cannot be a subject token (such events are not published; the checkpoint passes them).
 */
export function eventSubjects(
  table: ReadonlyMap<string, RelayCategory>,
  streamId: string,
  eventType: string,
): EventSubjects | undefined {
  const category = table.get(categoryOfStream(streamId));
  if (!category) return undefined;
  const id = streamId.slice(category.category.length + 1);
  if (!SUBJECT_TOKEN.test(id)) return undefined;
  const tail = `${id}.${eventSubjectToken(eventType)}`;
  return {
    category,
    subject: `${category.subjectPrefix}.${tail}`,
    jsonSubject: `${category.jsonSubjectPrefix}.${tail}`,
  };
}
