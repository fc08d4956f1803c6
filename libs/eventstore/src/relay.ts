import pg from 'pg';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { jetstream } from '@nats-io/jetstream';
import {
  callEventJsonSubject,
  callEventSubject,
  ensureCallEventsStream,
  CALL_EVENTS_STREAM,
} from '@callctl/bus';
import { EVENT_LOG_CHANNEL, type EventStore, type RecordedEvent } from './event-store.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoints.js';
import { callIdOfStream } from './stream-id.js';
import { Doorbell } from './doorbell.js';

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
  /** Also publish each event as proto3 JSON on `calls-json.<callId>.<type>`. @default false */
  publishJson?: boolean;
  /** Called when this instance becomes the leader (logs, tests). */
  onLeader?: () => void;
  /** Called after each checkpoint with the position reached. */
  onCheckpoint?: (position: number) => void;
}

export interface Relay {
  close(): Promise<void>;
  /** Resolves when the relay stops: undefined after close(), the error that stopped it otherwise. */
  closed(): Promise<void | Error>;
}

/**
 * The outbox relay: tails the log from its checkpoint and publishes each call event to CALL_EVENTS with
 * Nats-Msg-Id = eventId, then checkpoints once JetStream has acked the batch.
 *
 * Exactly once for subscribers: a crash between the acks and the checkpoint makes the next leader
 * re-publish at most one batch, which JetStream drops as duplicates as long as the re-publish falls
 * inside the stream's duplicate window. A takeover waits for PostgreSQL to drop the dead leader's session
 * (immediate on a killed process, up to the TCP keepalive on a lost host), so the window is set to 10
 * minutes (ensureCallEventsStream), far above that. Only one relay publishes: the leader holds a session
 * advisory lock on a dedicated connection, and it writes its checkpoint through that same connection,
 * so an instance that lost its session can no longer move the checkpoint.
 *
 * Events of streams that are not `call-<id>` are skipped (the checkpoint still passes them).
 */
export function startRelay(options: RelayOptions): Relay {
  const batchSize = options.batchSize ?? 256;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const lockRetryMs = options.lockRetryMs ?? 500;
  const js = jetstream(options.nc);
  const codecs = options.store.codecs;
  let stopped = false;
  const doorbell = new Doorbell();
  const client = new pg.Client({ connectionString: options.databaseUrl });
  let connectionError: Error | undefined;
  client.on('error', (error) => {
    connectionError = error;
    doorbell.ring();
  });
  client.on('notification', () => doorbell.ring());
  const sleep = (ms: number) => (stopped ? Promise.resolve() : doorbell.sleep(ms));

  async function publish(event: RecordedEvent): Promise<void> {
    const callId = callIdOfStream(event.streamId);
    if (callId === undefined) return;
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
    // The trace of the command that produced the event, not the relay's own.
    if (event.metadata.traceparent) h.set('traceparent', event.metadata.traceparent);
    const payload = codec.encode(codec.fromJSON(event.data)).finish();
    const sends = [
      js.publish(callEventSubject(callId, event.type), payload, { msgID: event.eventId, headers: h }),
    ];
    if (options.publishJson) {
      const jh = natsHeaders();
      for (const [key, values] of h) for (const v of values) jh.append(key, v);
      jh.set(RELAY_HEADERS.contentType, `application/json; proto=${codec.protoName}`);
      sends.push(
        js.publish(callEventJsonSubject(callId, event.type), JSON.stringify(event.data), {
          msgID: `${event.eventId}.json`,
          headers: jh,
        }),
      );
    }
    await Promise.all(sends);
  }

  async function run(): Promise<void> {
    await client.connect();
    for (;;) {
      if (stopped) return;
      if (connectionError) throw connectionError;
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        RELAY_LOCK_KEY.toString(),
      ]);
      if (rows[0]?.ok) break;
      await sleep(lockRetryMs);
    }
    options.onLeader?.();
    await ensureCallEventsStream(options.nc);
    await client.query(`LISTEN ${EVENT_LOG_CHANNEL}`);
    let position = await loadCheckpoint(client, RELAY_CHECKPOINT_ID);
    while (!stopped) {
      if (connectionError) throw connectionError;
      doorbell.clear();
      const batch = await options.store.readAll(position, batchSize);
      if (batch.length > 0) {
        await Promise.all(batch.map(publish));
        position = batch[batch.length - 1]!.globalPosition;
        await saveCheckpoint(client, RELAY_CHECKPOINT_ID, position);
        options.onCheckpoint?.(position);
      }
      if (batch.length < batchSize) await sleep(pollIntervalMs);
    }
  }

  const closed: Promise<void | Error> = run().then(
    async () => {
      await client.end().catch(() => undefined);
    },
    async (error: unknown) => {
      await client.end().catch(() => undefined);
      return stopped ? undefined : (error as Error);
    },
  );

  return {
    close: async () => {
      stopped = true;
      doorbell.ring();
      await closed;
    },
    closed: () => closed,
  };
}
