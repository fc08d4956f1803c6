import type pg from 'pg';
import { callEventCodecs, type CodecRegistry } from './codecs.js';
import { storeError, VALIDATION_REASONS, ValidationError } from './errors.js';
import {
  APPEND_BATCH_SQL,
  APPEND_SQL,
  appendError,
  batchOutcome,
  type AppendBatchRow,
} from './append-function.js';
import { createBatcher, type BatchOutcome } from './batcher.js';
import { assertValidStreamId } from './stream-id.js';

/** What the writer believes the stream's version is: its last event's version (0 = no events yet). */
export type ExpectedVersion = number | 'no-stream' | 'any';

export interface NewEvent {
  /** Client-chosen UUID; appending the same id again is an idempotent no-op (safe retries). */
  eventId: string;
  /** The proto message name under callctl.events.v1, e.g. `LegAnswered`. */
  type: string;
  /** The ts-proto message object; stored as its proto3 JSON. */
  data: unknown;
  /** @default 1 */
  schemaVersion?: number;
}

export interface AppendMetadata {
  correlationId?: string;
  causationId?: string;
  /** W3C traceparent of the command that produced the events. */
  traceparent?: string;
  /** The trace this work follows from when it started a trace of its own (a span link's target). */
  linkedTraceparent?: string;
}

export interface EventMetadata extends AppendMetadata {
  recordedAt: Date;
}

export interface RecordedEvent {
  eventId: string;
  streamId: string;
  /** 1 for a stream's first event. */
  streamVersion: number;
  /** Position in the whole log; increases in commit order (see APPEND_LOCK_KEY). */
  globalPosition: number;
  type: string;
  /** The proto3 JSON of the payload, as stored. */
  data: unknown;
  metadata: EventMetadata;
  schemaVersion: number;
}

export interface AppendResult {
  /** The stream's version after the append: pass it as the next expected version. */
  nextExpectedVersion: number;
  /** Global positions of the appended events, in order. */
  positions: number[];
  /** True when every event id was already in the log and nothing was written. */
  duplicate: boolean;
  /**
   * When the appended events were recorded (their `metadata.recordedAt`). Absent for a duplicate: those
   * events were recorded by the first append.
   */
  recordedAt?: Date;
  /**
   * The appended events exactly as a read of the log returns them, so the writer can fold them without
   * reading them back. Absent for a duplicate.
   */
  events?: RecordedEvent[];
}

/** Told of every append this store made (not duplicates), after its commit, with the events recorded. */
export type AppendListener = (events: readonly RecordedEvent[]) => void;

export interface EventStoreOptions {
  pool: pg.Pool;
  /** @default callEventCodecs() */
  codecs?: CodecRegistry;
  /** A payload's proto3 JSON may not be larger. @default 262144 (256 KiB) */
  maxPayloadBytes?: number;
  /**
   * Group commit: appends that wait while this store's previous append transaction is in flight go in one
   * transaction of at most this many events (an append with more goes alone). @default 500
   */
  maxBatchEvents?: number;
  /** Told of every append transaction (appends in it, events in it), for metrics and tests. */
  onAppendBatch?(appends: number, events: number): void;
  /**
   * Stream reads that wait while this store's previous read is in flight go in one query of at most this
   * many streams. @default 256
   */
  maxBatchReads?: number;
  /** Told of every read query (streams read by it), for metrics and tests. */
  onReadBatch?(streams: number): void;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;
export const DEFAULT_MAX_BATCH_EVENTS = 500;
export const DEFAULT_MAX_BATCH_READS = 256;

/** NOTIFY channel raised in every append transaction; its payload is the last global position. */
export const EVENT_LOG_CHANNEL = 'callctl_event_log';

/**
 * Appends are serialised by this transaction-level advisory lock, taken (by the SQL function
 * `event_log_append`, which hard-codes this value) before the global position is drawn and held until
 * commit. Consequence: global positions become visible in increasing order, so a
 * reader that has seen position N has seen every committed event below N, and `readAll(after)` can never
 * skip an event whose transaction drew a lower sequence value but committed later (the classic outbox
 * trap). PostgreSQL makes a commit visible (ProcArrayEndTransaction) before it releases the
 * transaction's locks, so the next appender only draws its positions after the previous commit is
 * visible. We chose this over Emmett's xid8 + pg_snapshot_xmin filter because readers stay a plain
 * `position > $1` index scan with one integer checkpoint; the cost is one append transaction at a time in
 * the whole database, each holding the lock through its WAL flush, which group commit (batcher.ts:
 * the appends a store has waiting share one transaction) keeps off the callers' latency. Sequence values burned by rolled
 * back appends leave holes that are never filled, which readers simply pass over.
 */
export const APPEND_LOCK_KEY = 0x63616c6c_6c6f67n; // "calllog"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface EventRow {
  global_position: string;
  event_id: string;
  stream_id: string;
  stream_version: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: AppendMetadata;
  recorded_at: Date;
}

const COLUMNS =
  'global_position, event_id, stream_id, stream_version, type, schema_version, data, metadata, recorded_at';

/** One stream's events from a version on (EventStore.readStream). */
interface StreamRead {
  streamId: string;
  fromVersion: number;
}

/**
 * Each read's events, numbered by the read's place in the arrays (from 1), in version order. A nested
 * loop over the (stream_id, stream_version) index: one index range per read.
 */
const READ_STREAMS_SQL = `SELECT r.read_index, ${COLUMNS.split(', ')
  .map((c) => `e.${c}`)
  .join(', ')}
  FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS r(stream_id, from_version, read_index)
  JOIN event_log e ON e.stream_id = r.stream_id AND e.stream_version >= r.from_version
  ORDER BY r.read_index, e.stream_version`;

function toRecorded(row: EventRow): RecordedEvent {
  return {
    eventId: row.event_id,
    streamId: row.stream_id,
    streamVersion: row.stream_version,
    globalPosition: Number(row.global_position),
    type: row.type,
    data: row.data,
    metadata: { ...row.metadata, recordedAt: row.recorded_at },
    schemaVersion: row.schema_version,
  };
}

interface PreparedEvent {
  eventId: string;
  type: string;
  schemaVersion: number;
  /** The payload's proto3 JSON, as stored, and its text. */
  data: unknown;
  json: string;
}

/** A validated append waiting for its transaction. */
export interface PreparedAppend {
  streamId: string;
  expected: ExpectedVersion;
  events: PreparedEvent[];
  metadataJson: string;
}

/** 'any' is NULL and 'no-stream' is 0 for the SQL functions. */
function sqlExpected(expected: ExpectedVersion): number | null {
  return expected === 'any' ? null : expected === 'no-stream' ? 0 : expected;
}

export interface EventStore {
  append(
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    metadata?: AppendMetadata,
  ): Promise<AppendResult>;
  /**
   * Events of one stream from `fromVersion` (inclusive, default 1), in version order. Reads made while
   * another is in flight are answered by one query together (maxBatchReads).
   */
  readStream(streamId: string, fromVersion?: number): Promise<RecordedEvent[]>;
  /** Up to `limit` events with a global position above `afterPosition`, in position (= commit) order. */
  readAll(afterPosition: number, limit: number): Promise<RecordedEvent[]>;
  /** The highest committed global position (0 when the log is empty). */
  headPosition(): Promise<number>;
  /**
   * Calls `listener` after each append of this store commits (the relay in the same process publishes from
   * it without reading the log back). Returns the unsubscribe function.
   */
  onAppended(listener: AppendListener): () => void;
  readonly codecs: CodecRegistry;
}

export function createEventStore(options: EventStoreOptions): EventStore {
  const pool = options.pool;
  const codecs = options.codecs ?? callEventCodecs();
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;

  function prepare(events: readonly NewEvent[]): PreparedEvent[] {
    if (events.length === 0) throw new ValidationError(VALIDATION_REASONS.emptyBatch, 'no events to append');
    const ids = new Set<string>();
    return events.map((event) => {
      if (!UUID.test(event.eventId) || ids.has(event.eventId.toLowerCase())) {
        throw new ValidationError(
          VALIDATION_REASONS.invalidEventId,
          `invalid or repeated event id ${event.eventId}`,
        );
      }
      ids.add(event.eventId.toLowerCase());
      const codec = codecs.get(event.type);
      if (!codec) {
        throw new ValidationError(VALIDATION_REASONS.unknownEventType, `unknown event type ${event.type}`);
      }
      let data: unknown;
      let json: string;
      try {
        // toJSON(fromJSON(toJSON(x))) normalises: what is stored is exactly the proto3 JSON of the message.
        data = codec.toJSON(codec.fromJSON(codec.toJSON(event.data))) ?? {};
        json = JSON.stringify(data);
      } catch (cause) {
        throw new ValidationError(
          VALIDATION_REASONS.invalidPayload,
          `payload of ${event.type} is not valid`,
          {
            cause,
          },
        );
      }
      const size = Buffer.byteLength(json);
      if (size > maxPayloadBytes) {
        throw new ValidationError(
          VALIDATION_REASONS.payloadTooLarge,
          `payload of ${event.type} is ${size} bytes, above the limit of ${maxPayloadBytes}`,
        );
      }
      return {
        eventId: event.eventId.toLowerCase(),
        type: event.type,
        schemaVersion: event.schemaVersion ?? 1,
        data,
        json,
      };
    });
  }

  async function append(
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    metadata: AppendMetadata = {},
  ): Promise<AppendResult> {
    assertValidStreamId(streamId);
    if (
      typeof expected === 'number' &&
      !(Number.isInteger(expected) && expected >= 0 && expected < 2 ** 31)
    ) {
      throw new ValidationError(
        VALIDATION_REASONS.invalidExpectedVersion,
        `expected version ${expected} is not 'any', 'no-stream' or a version (an integer >= 0)`,
      );
    }
    const prepared = prepare(events);
    const stored: AppendMetadata = {
      ...(metadata.correlationId ? { correlationId: metadata.correlationId } : {}),
      ...(metadata.causationId ? { causationId: metadata.causationId } : {}),
      ...(metadata.traceparent ? { traceparent: metadata.traceparent } : {}),
      ...(metadata.linkedTraceparent ? { linkedTraceparent: metadata.linkedTraceparent } : {}),
    };
    const result = await batcher({
      streamId,
      expected,
      events: prepared,
      metadataJson: JSON.stringify(stored),
    });
    if (result.duplicate || !result.recordedAt) return result;
    const recordedAt = result.recordedAt;
    const first = result.nextExpectedVersion - prepared.length + 1;
    const recorded = prepared.map((event, i): RecordedEvent => ({
      eventId: event.eventId,
      streamId,
      streamVersion: first + i,
      globalPosition: result.positions[i]!,
      type: event.type,
      data: event.data,
      metadata: { ...stored, recordedAt },
      schemaVersion: event.schemaVersion,
    }));
    for (const listener of listeners) {
      try {
        listener(recorded);
      } catch {
        // A listener's failure is its own: the append committed and its caller gets the result.
      }
    }
    return { ...result, events: recorded };
  }

  const listeners = new Set<AppendListener>();
  function onAppended(listener: AppendListener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /**
   * A lone append: one statement in autocommit, whose implicit transaction is the append transaction (the
   * function takes the lock, answers a retry, checks the version, inserts and notifies).
   */
  async function appendOne(item: PreparedAppend): Promise<AppendResult> {
    try {
      const { rows } = await pool.query<{
        positions: string[];
        next_version: number;
        duplicate: boolean;
        recorded_at: Date;
      }>({
        name: 'event_log_append',
        text: APPEND_SQL,
        values: [
          item.streamId,
          sqlExpected(item.expected),
          item.events.map((e) => e.eventId),
          item.events.map((e) => e.type),
          item.events.map((e) => e.schemaVersion),
          item.events.map((e) => e.json),
          item.metadataJson,
        ],
      });
      const row = rows[0]!;
      return {
        nextExpectedVersion: row.next_version,
        positions: row.positions.map(Number),
        duplicate: row.duplicate,
        ...(row.duplicate ? {} : { recordedAt: row.recorded_at }),
      };
    } catch (error) {
      throw storeError(appendError(error, item.streamId, item.expected));
    }
  }

  /** Several appends in one statement (so one transaction): each gets its own outcome, in order. */
  async function appendMany(items: readonly PreparedAppend[]): Promise<BatchOutcome<AppendResult>[]> {
    const events = items.flatMap((item) => item.events);
    const { rows } = await pool
      .query<AppendBatchRow>({
        name: 'event_log_append_batch',
        text: APPEND_BATCH_SQL,
        values: [
          items.map((item) => item.streamId),
          items.map((item) => sqlExpected(item.expected)),
          items.map((item) => item.events.length),
          items.map((item) => item.metadataJson),
          events.map((e) => e.eventId),
          events.map((e) => e.type),
          events.map((e) => e.schemaVersion),
          events.map((e) => e.json),
        ],
      })
      .catch(rethrowStoreError); // mapped once: every caller of the batch gets the same error
    return items.map((item, i) => batchOutcome(rows[i], item.streamId, item.expected));
  }

  const batcher = createBatcher<PreparedAppend, AppendResult>({
    maxBatchWeight: options.maxBatchEvents ?? DEFAULT_MAX_BATCH_EVENTS,
    weight: (item) => item.events.length,
    onBatch: options.onAppendBatch,
    // A batch of one keeps the lone append's function, errors and all; the batch function answers more.
    runOne: appendOne,
    run: appendMany,
  });

  async function readOne({ streamId, fromVersion }: StreamRead): Promise<RecordedEvent[]> {
    // A named (prepared) statement: every command reads its stream, so PostgreSQL parses and plans it
    // once per connection instead of on each read. The equality on stream_id keeps the generic plan an
    // index scan.
    const { rows } = await pool
      .query<EventRow>({
        name: 'event_log_read_stream',
        text: `SELECT ${COLUMNS} FROM event_log WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version`,
        values: [streamId, fromVersion],
      })
      .catch(rethrowStoreError);
    return rows.map(toRecorded);
  }

  /** Several streams in one query: each read's events, in read order (a stream read twice comes twice). */
  async function readMany(reads: readonly StreamRead[]): Promise<BatchOutcome<RecordedEvent[]>[]> {
    const { rows } = await pool
      .query<EventRow & { read_index: string }>({
        name: 'event_log_read_streams',
        text: READ_STREAMS_SQL,
        values: [reads.map((r) => r.streamId), reads.map((r) => r.fromVersion)],
      })
      .catch(rethrowStoreError); // mapped once: every caller of the batch gets the same error
    const events = reads.map((): RecordedEvent[] => []);
    for (const row of rows) events[Number(row.read_index) - 1]!.push(toRecorded(row));
    return events.map((value) => ({ ok: true, value }));
  }

  // Reads that wait while one is in flight go together as one query (batcher.ts); a lone read keeps the
  // single-stream statement.
  const reader = createBatcher<StreamRead, RecordedEvent[]>({
    maxBatchWeight: options.maxBatchReads ?? DEFAULT_MAX_BATCH_READS,
    weight: () => 1,
    onBatch: options.onReadBatch,
    runOne: readOne,
    run: readMany,
  });

  async function readStream(streamId: string, fromVersion = 1): Promise<RecordedEvent[]> {
    assertValidStreamId(streamId);
    return reader({ streamId, fromVersion });
  }

  async function readAll(afterPosition: number, limit: number): Promise<RecordedEvent[]> {
    const { rows } = await pool
      .query<EventRow>(
        `SELECT ${COLUMNS} FROM event_log WHERE global_position > $1 ORDER BY global_position LIMIT $2`,
        [afterPosition, limit],
      )
      .catch(rethrowStoreError);
    return rows.map(toRecorded);
  }

  async function headPosition(): Promise<number> {
    const { rows } = await pool
      .query<{ head: string }>('SELECT coalesce(max(global_position), 0) AS head FROM event_log')
      .catch(rethrowStoreError);
    return Number(rows[0]!.head);
  }

  return { append, readStream, readAll, headPosition, onAppended, codecs };
}

/** Reads and appends fail in the store's vocabulary (an unreachable PostgreSQL is EventLogUnavailableError). */
function rethrowStoreError(error: unknown): never {
  throw storeError(error);
}
