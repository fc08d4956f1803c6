import pg from 'pg';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { publishToStream, CALL_EVENTS_STREAM } from '@callctl/bus';
import { EVENT_LOG_CHANNEL, type EventStore, type RecordedEvent } from './event-store.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoints.js';
import {
  categoryOfStream,
  categoryTable,
  eventSubjects,
  RELAY_CATEGORIES,
  type RelayCategory,
} from './relay-subjects.js';
import { Doorbell } from './doorbell.js';
import { Backoff, pause } from './backoff.js';

/** Session advisory lock held by the active relay for its connection's lifetime. */
export const RELAY_LOCK_KEY = 0x72656c_6179n; // "relay"
export const RELAY_CHECKPOINT_ID = `relay:${CALL_EVENTS_STREAM}`;

/** Headers the relay sets on every message, beside Nats-Msg-Id (= eventId) and traceparent. */
export const RELAY_HEADERS = {
  contentType: 'Content-Type',
  eventId: 'Callctl-Event-Id',
  eventType: 'Callctl-Event-Type',
  streamId: 'Callctl-Stream-Id',
  streamVersion: 'Callctl-Stream-Version',
  globalPosition: 'Callctl-Global-Position',
  correlationId: 'Callctl-Correlation-Id',
  causationId: 'Callctl-Causation-Id',
  /** The trace an event's own trace follows from (a deadline's new trace names the call's). */
  linkedTraceparent: 'Callctl-Linked-Traceparent',
  recordedAt: 'Callctl-Recorded-At',
  schemaVersion: 'Callctl-Schema-Version',
} as const;

export interface RelayOptions {
  store: EventStore;
  /** For the dedicated connection holding the leader lock, LISTEN and the checkpoint. */
  databaseUrl: string;
  nc: NatsConnection;
  /** Events published (concurrently) before each checkpoint. @default 256 */
  batchSize?: number;
  /** Reads the log this often without a NOTIFY. @default 500 */
  pollIntervalMs?: number;
  /** A standby retries the lock this often. @default 500 */
  lockRetryMs?: number;
  /**
   * The checkpoint is written at most this often while events keep coming, and as soon as the relay
   * finds nothing new. A crash re-publishes what came after it, which JetStream drops as duplicates.
   * @default 200
   */
  checkpointIntervalMs?: number;
  /** Deadline for JetStream's ack of one publish. @default 5000 */
  publishTimeoutMs?: number;
  /** Wait after the first failure (NATS, PostgreSQL); doubled per consecutive failure. @default 100 */
  initialRetryDelayMs?: number;
  /** Cap of that wait. @default 5000 */
  maxRetryDelayMs?: number;
  /** Also publish each event as proto3 JSON (`calls-json.<callId>.<type>` for a call). @default false */
  publishJson?: boolean;
  /** The stream categories published, each on its own subjects (relay-subjects.ts). @default RELAY_CATEGORIES */
  categories?: readonly RelayCategory[];
  /** Called once per category the relay has no row for, the first time one of its events passes. */
  onSkippedCategory?: (category: string, streamId: string) => void;
  /** Called each time this instance becomes the leader (logs, tests). */
  onLeader?: () => void;
  /** Called when this instance gave up leadership because its PostgreSQL session failed. */
  onLeadershipLost?: (error: Error) => void;
  /** Called for every failure the relay will retry, with the wait before it does. */
  onRetry?: (error: Error, delayMs: number) => void;
  /** Called after each checkpoint with the position reached. */
  onCheckpoint?: (position: number) => void;
}

export interface Relay {
  close(): Promise<void>;
  /** Resolves when the relay stops, which is only after close(): failures are retried, never fatal. */
  closed(): Promise<void | Error>;
}

export const RELAY_DEFAULTS = {
  batchSize: 256,
  pollIntervalMs: 500,
  lockRetryMs: 500,
  checkpointIntervalMs: 200,
  publishTimeoutMs: 5000,
  initialRetryDelayMs: 100,
  maxRetryDelayMs: 5000,
} as const;

/** Limits on the lock connection, so a failure shows as an error rather than a hang. */
const LOCK_CONNECTION = { connectTimeoutMs: 5000, queryTimeoutMs: 10_000, keepAliveDelayMs: 10_000 } as const;

/** application_name of the relay's lock connection (visible in pg_stat_activity). */
export const RELAY_APPLICATION_NAME = 'callctl-relay';

/** The lock connection failed: this instance is no longer (or never became) the leader. */
class SessionLost extends Error {
  override readonly name = 'SessionLost';
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The outbox relay: tails the log from its checkpoint and publishes each call event to CALL_EVENTS with
 * Nats-Msg-Id = eventId, then checkpoints what JetStream has acked (at most every checkpointIntervalMs, so
 * a busy log does not cost a write per batch).
 *
 * Exactly once for subscribers: a crash between the acks and the checkpoint makes the next leader
 * re-publish what came after it, which JetStream drops as duplicates as long as the re-publish falls
 * inside the stream's duplicate window. A takeover waits for PostgreSQL to drop the dead leader's session
 * (immediate on a killed process, up to the TCP keepalive on a lost host), so the window is set to 10
 * minutes (ensureCallEventsStream), far above that. Only one relay publishes: the leader holds a session
 * advisory lock on a dedicated connection, and it writes its checkpoint through that same connection,
 * so an instance that lost its session can no longer move the checkpoint.
 *
 * Failures are retried with capped exponential backoff, never fatal. A NATS failure (or a failed read of
 * the log) keeps the leadership and re-publishes the same batch from the checkpoint; the message ids make
 * that safe. A failure of the lock connection ends the session: the relay stops publishing, waits for the
 * batch in flight to settle, closes the connection (releasing the lock if the server still holds it) and
 * then competes for the lock again on a new connection, as a standby would.
 *
 * Each stream category is published on the subjects its row of `categories` names (`call-<id>` on
 * `calls.<id>.<type>`); events of a category without a row are skipped, reported once through
 * onSkippedCategory, and the checkpoint passes them.
 */
export function startRelay(options: RelayOptions): Relay {
  const settings = {
    batchSize: options.batchSize ?? RELAY_DEFAULTS.batchSize,
    pollIntervalMs: options.pollIntervalMs ?? RELAY_DEFAULTS.pollIntervalMs,
    lockRetryMs: options.lockRetryMs ?? RELAY_DEFAULTS.lockRetryMs,
    publishTimeoutMs: options.publishTimeoutMs ?? RELAY_DEFAULTS.publishTimeoutMs,
    checkpointIntervalMs: options.checkpointIntervalMs ?? RELAY_DEFAULTS.checkpointIntervalMs,
  };
  const codecs = options.store.codecs;
  const categories = categoryTable(options.categories ?? RELAY_CATEGORIES);
  // The low-cardinality names of the publish spans (`send calls.*.*`).
  const templates = new Map(
    [...categories.values()].map((c) => [
      c,
      { subject: `${c.subjectPrefix}.*.*`, json: `${c.jsonSubjectPrefix}.*.*` },
    ]),
  );
  const skippedCategories = new Set<string>();
  const stop = new AbortController();
  const doorbell = new Doorbell();
  const backoff = new Backoff({
    initialMs: options.initialRetryDelayMs ?? RELAY_DEFAULTS.initialRetryDelayMs,
    maxMs: options.maxRetryDelayMs ?? RELAY_DEFAULTS.maxRetryDelayMs,
  });
  const sleep = (ms: number) => (stop.signal.aborted ? Promise.resolve() : doorbell.sleep(ms));

  async function retryAfter(error: unknown): Promise<void> {
    const delayMs = backoff.next();
    options.onRetry?.(asError(error), delayMs);
    await pause(delayMs, stop.signal);
  }

  async function publish(event: RecordedEvent): Promise<void> {
    const subjects = eventSubjects(categories, event.streamId, event.type);
    if (subjects === undefined) return skipped(event.streamId);
    const codec = codecs.get(event.type);
    if (!codec) throw new Error(`relay: no codec for event type ${event.type} at ${event.globalPosition}`);
    const h = natsHeaders();
    h.set(RELAY_HEADERS.contentType, `application/x-protobuf; proto=${codec.protoName}`);
    h.set(RELAY_HEADERS.eventId, event.eventId);
    h.set(RELAY_HEADERS.eventType, event.type);
    h.set(RELAY_HEADERS.streamId, event.streamId);
    h.set(RELAY_HEADERS.streamVersion, String(event.streamVersion));
    h.set(RELAY_HEADERS.globalPosition, String(event.globalPosition));
    h.set(RELAY_HEADERS.recordedAt, event.metadata.recordedAt.toISOString());
    h.set(RELAY_HEADERS.schemaVersion, String(event.schemaVersion));
    if (event.metadata.correlationId) h.set(RELAY_HEADERS.correlationId, event.metadata.correlationId);
    if (event.metadata.causationId) h.set(RELAY_HEADERS.causationId, event.metadata.causationId);
    // The trace of the command that produced the event, not the relay's own (with spans on, the parent of
    // the publish's span, which the message then carries instead).
    if (event.metadata.traceparent) h.set('traceparent', event.metadata.traceparent);
    if (event.metadata.linkedTraceparent)
      h.set(RELAY_HEADERS.linkedTraceparent, event.metadata.linkedTraceparent);
    const payload = codec.encode(codec.fromJSON(event.data)).finish();
    const timeoutMs = settings.publishTimeoutMs;
    const template = templates.get(subjects.category)!;
    // Copied before the first send, which puts its own span in `h` when spans are on.
    let jh: ReturnType<typeof natsHeaders> | undefined;
    if (options.publishJson) {
      jh = natsHeaders();
      for (const [key, values] of h) for (const v of values) jh.append(key, v);
      jh.set(RELAY_HEADERS.contentType, `application/json; proto=${codec.protoName}`);
    }
    const sends = [
      publishToStream(options.nc, subjects.subject, payload, {
        msgId: event.eventId,
        headers: h,
        timeoutMs,
        destinationTemplate: template.subject,
      }),
    ];
    if (jh)
      sends.push(
        publishToStream(options.nc, subjects.jsonSubject, JSON.stringify(event.data), {
          msgId: `${event.eventId}.json`,
          headers: jh,
          timeoutMs,
          destinationTemplate: template.json,
        }),
      );
    await Promise.all(sends);
  }

  function skipped(streamId: string): void {
    const category = categoryOfStream(streamId);
    // A known category's stream whose id cannot be a subject token is passed over silently, as before.
    if (categories.has(category) || skippedCategories.has(category)) return;
    skippedCategories.add(category);
    options.onSkippedCategory?.(category, streamId);
  }

  async function ensureStreams(): Promise<void> {
    for (const category of categories.values()) await category.ensureStream(options.nc);
  }

  /** Publishes a batch; on a failure, lets the rest settle first so a retry does not race its own sends. */
  async function publishBatch(batch: RecordedEvent[]): Promise<void> {
    const results = await Promise.allSettled(batch.map(publish));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * One PostgreSQL session: compete for the lock, then relay until close() or until the lock connection
   * fails (thrown as SessionLost). `onLeader` marks the point from which a failure costs the leadership.
   */
  async function session(becameLeader: () => void): Promise<void> {
    const client = new pg.Client({
      connectionString: options.databaseUrl,
      application_name: RELAY_APPLICATION_NAME,
      // A leader must notice a dead or half-open lock connection (the server may already have released
      // the lock to a standby): bounded connect and queries, and TCP keepalive while it sits in LISTEN.
      connectionTimeoutMillis: LOCK_CONNECTION.connectTimeoutMs,
      query_timeout: LOCK_CONNECTION.queryTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: LOCK_CONNECTION.keepAliveDelayMs,
    });
    let lost: Error | undefined;
    client.on('error', (error) => {
      lost = error;
      doorbell.ring();
    });
    // The highest position a NOTIFY announced: a wake-up for events the local feed already brought needs
    // no read of the log.
    let notified = 0;
    client.on('notification', (message) => {
      notified = Math.max(notified, Number(message.payload) || 0);
      doorbell.ring();
    });
    const local = new LocalFeed(settings.batchSize);
    // Everything on the lock connection goes through here, so its failure is always a SessionLost.
    const onLock = async <T>(work: () => Promise<T>): Promise<T> => {
      if (lost) throw new SessionLost('relay lock connection failed', { cause: lost });
      try {
        return await work();
      } catch (error) {
        throw new SessionLost('relay lock connection failed', { cause: lost ?? error });
      }
    };
    try {
      await onLock(() => client.connect());
      for (;;) {
        if (stop.signal.aborted) return;
        const { rows } = await onLock(() =>
          client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RELAY_LOCK_KEY.toString()]),
        );
        if (rows[0]?.ok) break;
        await pause(settings.lockRetryMs, stop.signal);
      }
      becameLeader();
      options.onLeader?.();
      local.attach(options.store, () => doorbell.ring());
      await onLock(() => client.query(`LISTEN ${EVENT_LOG_CHANNEL}`));
      // The checkpoint is this connection's only write, and losing its last updates in a database crash
      // costs only a re-publish that JetStream drops as duplicates: no need to wait for each WAL flush.
      await onLock(() => client.query('SET synchronous_commit = off'));
      let position = await onLock(() => loadCheckpoint(client, RELAY_CHECKPOINT_ID));
      let saved = position;
      let savedAt = Date.now();
      let streamReady = false;
      let readLog = true; // the first pass, a poll, and every retry read the log
      while (!stop.signal.aborted) {
        if (lost) throw new SessionLost('relay lock connection failed', { cause: lost });
        doorbell.clear();
        let batch: RecordedEvent[];
        try {
          if (!streamReady) {
            await ensureStreams();
            streamReady = true;
          }
          batch = local.takeAfter(position);
          if (batch.length === 0 && (readLog || notified > position || local.pending))
            batch = await options.store.readAll(position, settings.batchSize);
          if (batch.length > 0) await publishBatch(batch);
        } catch (error) {
          if (lost || stop.signal.aborted) continue; // the loop head ends the session or the relay
          // NATS or a read of the log failed while the lock connection is fine: keep the leadership and
          // publish the same events again after a wait (their message ids make the repeat harmless).
          // The stream is checked again too, in case the server came back without it.
          streamReady = false;
          readLog = true;
          await retryAfter(error);
          continue;
        }
        if (batch.length > 0) position = batch[batch.length - 1]!.globalPosition;
        const quiet = readLog && batch.length === 0;
        if (position > saved && (quiet || Date.now() - savedAt >= settings.checkpointIntervalMs)) {
          const reached = position;
          await onLock(() => saveCheckpoint(client, RELAY_CHECKPOINT_ID, reached));
          saved = reached;
          savedAt = Date.now();
          options.onCheckpoint?.(reached);
        }
        backoff.reset();
        // A full batch may have more behind it (a backlog after a restart, or appends past what the local
        // feed keeps): read the log again at once. Waiting for the poll instead drained a backlog at one
        // batch per poll interval (256 events per 500 ms).
        readLog = batch.length >= settings.batchSize;
        if (batch.length < settings.batchSize) {
          await sleep(settings.pollIntervalMs);
          readLog = !doorbell.isRung; // the poll interval passed with no news: read the log anyway
        }
      }
    } finally {
      local.detach();
      // Releases the session lock if the server still holds the connection.
      await client.end().catch(() => undefined);
    }
  }

  async function run(): Promise<void> {
    while (!stop.signal.aborted) {
      let leader = false;
      try {
        await session(() => (leader = true));
      } catch (error) {
        if (stop.signal.aborted) return;
        if (leader) options.onLeadershipLost?.(asError(error));
        await retryAfter(error);
      }
    }
  }

  const closed: Promise<void | Error> = run().then(
    () => undefined,
    (error: unknown) => asError(error),
  );

  return {
    close: async () => {
      stop.abort();
      doorbell.ring();
      await closed;
    },
    closed: () => closed,
  };
}

/**
 * The events this process appended (EventStore.onAppended), kept while this instance leads. A run of them
 * that starts right after the relay's position is complete: positions are drawn under the log's append
 * lock and become visible in order, so nothing below the first one can still commit. Such a run is
 * published without reading the log back; anything else (a gap left by another instance's appends or a
 * rolled-back one, a backlog) goes through a read of the log, which sees everything committed.
 */
class LocalFeed {
  private queue: RecordedEvent[] = [];
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly batchSize: number) {}

  attach(store: EventStore, onEvents: () => void): void {
    this.unsubscribe = store.onAppended((events) => {
      // Past a few batches the relay is behind; it reads the log then, and the queue would only grow.
      if (this.queue.length < LOCAL_FEED_LIMIT_BATCHES * this.batchSize) this.queue.push(...events);
      onEvents();
    });
  }

  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.queue = [];
  }

  /** Events left that do not follow on from the relay's position: only a read of the log brings those. */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  /** The run of local events right after `position` (at most one batch); [] when it does not start there. */
  takeAfter(position: number): RecordedEvent[] {
    const queue = this.queue;
    let start = 0;
    while (start < queue.length && queue[start]!.globalPosition <= position) start++;
    let end = start;
    while (
      end < queue.length &&
      end - start < this.batchSize &&
      queue[end]!.globalPosition === position + 1 + (end - start)
    )
      end++;
    const run = queue.slice(start, end);
    this.queue = queue.slice(end);
    return run;
  }
}

const LOCAL_FEED_LIMIT_BATCHES = 8;
