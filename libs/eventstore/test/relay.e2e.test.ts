import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager, AckPolicy, type JsMsg } from '@nats-io/jetstream';
import {
  connectBus,
  CALL_EVENTS_STREAM,
  ensureCallEventsStream,
  ensureStream,
  type NatsConnection,
} from '@callctl/bus';
import { callEvents } from '@callctl/proto';
import {
  startNatsServer,
  startProcess,
  waitFor,
  type ManagedProcess,
  type NatsServerFixture,
} from '@callctl/testing';
import {
  CALL_CATEGORY,
  callStreamId,
  createEventStore,
  RELAY_CHECKPOINT_ID,
  loadCheckpoint,
  startRelay,
  subscribeAll,
  type EventStore,
  type RecordedEvent,
  type RelayCategory,
} from '../src/index.js';
import { APPEND_LOCK_KEY } from '../src/event-store.js';
import { RELAY_APPLICATION_NAME } from '../src/relay.js';
import { callCreated, legAnswered, randomCallId, setupStore, type StoreFixture } from './fixtures.js';
import { randomUUID } from 'node:crypto';

const ROOT = join(__dirname, '..', '..', '..');

let fx: StoreFixture;
let nats: NatsServerFixture;
let nc: NatsConnection;

beforeAll(async () => {
  // The child relay runs the package's source with tsx, which resolves sibling libs to their dist.
  if (!existsSync(join(ROOT, 'libs', 'bus', 'dist', 'src', 'index.js')))
    throw new Error('run `npx tsc -b` first');
  nats = await startNatsServer();
  nc = await connectBus({ servers: nats.url, name: 'relay-test' });
  await ensureCallEventsStream(nc);
});
afterAll(async () => {
  await nc.close();
  await nats.stop();
});
beforeEach(async () => {
  fx = await setupStore();
  const jsm = await jetstreamManager(nc);
  await jsm.streams.purge(CALL_EVENTS_STREAM);
});
afterEach(async () => {
  await fx[Symbol.asyncDispose]();
});

interface Delivered {
  eventId: string;
  msgId: string;
  streamId: string;
  streamVersion: number;
  subject: string;
  contentType: string;
  traceparent: string;
  data: Uint8Array;
}

/** Everything in CALL_EVENTS under `filter` read with a fresh durable, explicit ack. */
async function readCallEvents(
  expected: number,
  conn = nc,
  filter = 'calls.>',
  stream = CALL_EVENTS_STREAM,
): Promise<Delivered[]> {
  const jsm = await jetstreamManager(conn);
  const name = `check-${randomUUID().slice(0, 8)}`;
  await jsm.consumers.add(stream, {
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    filter_subject: filter,
  });
  const consumer = await jetstream(conn).consumers.get(stream, name);
  const out: Delivered[] = [];
  await waitFor(
    `${expected} messages on ${filter}`,
    async () => ((await consumer.info()).num_pending >= expected ? true : undefined),
    60_000,
    50,
  );
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
    let n = 0;
    for await (const m of batch as AsyncIterable<JsMsg>) {
      n++;
      out.push({
        eventId: m.headers?.get('Callctl-Event-Id') ?? '',
        msgId: m.headers?.get('Nats-Msg-Id') ?? '',
        streamId: m.headers?.get('Callctl-Stream-Id') ?? '',
        streamVersion: Number(m.headers?.get('Callctl-Stream-Version')),
        subject: m.subject,
        contentType: m.headers?.get('Content-Type') ?? '',
        traceparent: m.headers?.get('traceparent') ?? '',
        data: m.data,
      });
      m.ack();
    }
    if (n === 0) break;
  }
  return out;
}

function assertExactlyOnceInOrder(delivered: Delivered[], log: RecordedEvent[]): void {
  const ids = delivered.map((d) => d.eventId);
  for (const d of delivered) expect(d.msgId).toBe(d.eventId);
  expect(new Set(ids).size).toBe(ids.length);
  expect(new Set(ids)).toEqual(new Set(log.map((e) => e.eventId)));
  const versions = new Map<string, number[]>();
  for (const d of delivered) versions.set(d.streamId, [...(versions.get(d.streamId) ?? []), d.streamVersion]);
  for (const [stream, seen] of versions) {
    expect({ stream, seen }).toEqual({ stream, seen: seen.map((_, i) => i + 1) });
  }
}

function startRelayProcess(batchSize = 8): ManagedProcess {
  // node --import tsx (not the tsx CLI, which forks a grandchild that SIGKILL would leave running).
  return startProcess(process.execPath, ['--import', 'tsx', join(__dirname, 'relay-process.ts')], {
    env: { ...process.env, DATABASE_URL: fx.db.url, NATS_URL: nats.url, RELAY_BATCH_SIZE: String(batchSize) },
  });
}

/** Appends to a few call streams until stopped; returns how many events it wrote. */
function startWriters(streams = 5, store: EventStore = fx.store) {
  let stop = false;
  const done = (async () => {
    const calls = Array.from({ length: streams }, () => ({ id: randomCallId(), version: 0 }));
    let written = 0;
    while (!stop) {
      const call = calls[written % streams]!;
      const events =
        call.version === 0 ? [callCreated(call.id)] : [legAnswered(call.id), legAnswered(call.id)];
      const r = await store.append(
        callStreamId(call.id),
        call.version === 0 ? 'no-stream' : call.version,
        events,
      );
      call.version = r.nextExpectedVersion;
      written += events.length;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    return written;
  })();
  return { stop: () => ((stop = true), done) };
}

describe('relay', () => {
  it('publishes each event once with its envelope headers and a protobuf payload', async () => {
    const relay = startRelay({ store: fx.store, databaseUrl: fx.db.url, nc, pollIntervalMs: 50 });
    const callId = randomCallId();
    await fx.store.append(
      callStreamId(callId),
      'no-stream',
      [callCreated(callId, 'x'), legAnswered(callId)],
      {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    );
    const delivered = await readCallEvents(2);
    await relay.close();
    // Without publishJson there is no calls-json.> copy: the stream holds just these two.
    expect((await (await jetstreamManager(nc)).streams.info(CALL_EVENTS_STREAM)).state.messages).toBe(2);
    expect(delivered.map((d) => d.subject)).toEqual([
      `calls.${callId}.call_created`,
      `calls.${callId}.leg_answered`,
    ]);
    expect(delivered[1]!.contentType).toBe('application/x-protobuf; proto=callctl.events.v1.LegAnswered');
    expect(callEvents.LegAnswered.decode(delivered[1]!.data)).toMatchObject({ callId, legId: 'A' });
  }, 90_000);

  it("publishes its own process's appends and another instance's together, each once and in order", async () => {
    // The relay publishes its own store's appends straight from the append (no read back) while they
    // follow on from its position; the other instance's appends leave gaps that only a read of the log fills.
    const relay = startRelay({
      store: fx.store,
      databaseUrl: fx.db.url,
      nc,
      pollIntervalMs: 50,
      batchSize: 8,
    });
    const own = startWriters(4);
    const other = startWriters(4, createEventStore({ pool: fx.pool }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const written = (await own.stop()) + (await other.stop());
    const delivered = await readCallEvents(written);
    await relay.close();
    const log = await fx.store.readAll(0, 100_000);
    expect(log).toHaveLength(written);
    assertExactlyOnceInOrder(delivered, log);
    // In global position order, not just per stream.
    const positionOf = new Map(log.map((e) => [e.eventId, e.globalPosition]));
    const positions = delivered.map((d) => positionOf.get(d.eventId)!);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  }, 90_000);

  it('publishes a backlog of many batches without waiting for a poll between them', async () => {
    // Appended while no relay ran, as after the relay's restart: 5 batches of 8. The poll interval is far
    // above the test's wait, so only reading on after each full batch gets them all out.
    const callIds = Array.from({ length: 20 }, randomCallId);
    for (const callId of callIds)
      await fx.store.append(callStreamId(callId), 'no-stream', [callCreated(callId), legAnswered(callId)]);
    const relay = startRelay({
      store: fx.store,
      databaseUrl: fx.db.url,
      nc,
      pollIntervalMs: 600_000,
      batchSize: 8,
    });
    try {
      const delivered = await readCallEvents(40);
      assertExactlyOnceInOrder(delivered, await fx.store.readAll(0, 1000));
    } finally {
      await relay.close();
    }
  }, 90_000);

  it('delivers every event once to JetStream although a lower position committed after higher ones were requested', async () => {
    const relay = startRelay({
      store: fx.store,
      databaseUrl: fx.db.url,
      nc,
      pollIntervalMs: 20,
      batchSize: 4,
    });
    const sub = subscribeAll({ store: fx.store, databaseUrl: fx.db.url, pollIntervalMs: 20 });
    const seen: number[] = [];
    const consuming = (async () => {
      for await (const e of sub) seen.push(e.globalPosition);
    })();
    const slow = await fx.pool.connect();
    const slowCall = randomCallId();
    await slow.query('BEGIN');
    await slow.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK_KEY.toString()]);
    await slow.query(
      `INSERT INTO event_log (event_id, stream_id, stream_version, type, data, metadata)
       VALUES ($1, $2, 1, 'CallCreated', $3, '{}')`,
      [randomUUID(), callStreamId(slowCall), JSON.stringify({ callId: slowCall })],
    );
    const later = Array.from({ length: 8 }, () => {
      const id = randomCallId();
      return fx.store.append(callStreamId(id), 'no-stream', [callCreated(id), legAnswered(id)]);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await slow.query('COMMIT');
    slow.release();
    await Promise.all(later);
    const delivered = await readCallEvents(17);
    await waitFor('subscriber caught up', () => seen.length >= 17 || undefined, 20_000);
    await sub.close();
    await consuming;
    await relay.close();
    const log = await fx.store.readAll(0, 1000);
    assertExactlyOnceInOrder(delivered, log);
    expect(seen).toEqual(log.map((e) => e.globalPosition));
  }, 90_000);

  it('publishes a proto3 JSON copy of each event on calls-json.> when asked, once even after a replay', async () => {
    const callId = randomCallId();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const events = [callCreated(callId, 'for humans'), legAnswered(callId, 'B')];
    await fx.store.append(callStreamId(callId), 'no-stream', events, { traceparent, correlationId: 'c-1' });
    const head = await fx.store.headPosition();
    const relayUntilHead = async () => {
      const reached = new Promise<void>((resolve) => {
        const relay = startRelay({
          store: fx.store,
          databaseUrl: fx.db.url,
          nc,
          pollIntervalMs: 50,
          publishJson: true,
          onCheckpoint: (position) => position >= head && resolve(relay.close()),
        });
      });
      await reached;
    };
    await relayUntilHead();
    // Replay: the checkpoint goes back to 0 and a new relay publishes both trees again.
    await fx.pool.query('UPDATE event_checkpoint SET position = 0 WHERE subscriber_id = $1', [
      RELAY_CHECKPOINT_ID,
    ]);
    await relayUntilHead();
    expect(await loadCheckpoint(fx.pool, RELAY_CHECKPOINT_ID)).toBe(head);

    const json = await readCallEvents(2, nc, 'calls-json.>');
    const proto = await readCallEvents(2, nc, 'calls.>');
    expect(json).toHaveLength(2);
    expect(proto).toHaveLength(2);
    const stored = await fx.store.readStream(callStreamId(callId));
    expect(json.map((d) => [d.subject, d.msgId, d.eventId, d.contentType, d.traceparent])).toEqual([
      [
        `calls-json.${callId}.call_created`,
        `${events[0]!.eventId}.json`,
        events[0]!.eventId,
        'application/json; proto=callctl.events.v1.CallCreated',
        traceparent,
      ],
      [
        `calls-json.${callId}.leg_answered`,
        `${events[1]!.eventId}.json`,
        events[1]!.eventId,
        'application/json; proto=callctl.events.v1.LegAnswered',
        traceparent,
      ],
    ]);
    const bodies = json.map((d) => JSON.parse(new TextDecoder().decode(d.data)) as unknown);
    expect(bodies).toEqual(stored.map((e) => e.data));
    expect(bodies[1]).toEqual({ callId, legId: 'B' });
    // The JSON copy says the same as the protobuf one.
    expect(bodies[1]).toEqual(callEvents.LegAnswered.toJSON(callEvents.LegAnswered.decode(proto[1]!.data)));
  }, 90_000);

  it('publishes a second stream category on its own subjects and skips an unknown one, reporting it once', async () => {
    const callbacksStream = `TEST_CALLBACKS_${randomUUID().slice(0, 8)}`;
    const callbacks: RelayCategory = {
      category: 'callback',
      subjectPrefix: 'callbacks',
      jsonSubjectPrefix: 'callbacks-json',
      ensureStream: (conn) => ensureStream(conn, { name: callbacksStream, subjects: ['callbacks.>'] }),
    };
    const skipped: Array<[string, string]> = [];
    const callId = randomCallId();
    const callbackId = randomCallId();
    await fx.store.append(`config-${callbackId}`, 'no-stream', [callCreated(callId), legAnswered(callId)]);
    await fx.store.append(`callback-${callbackId}`, 'no-stream', [callCreated(callbackId)]);
    await fx.store.append(callStreamId(callId), 'no-stream', [callCreated(callId)]);
    const head = await fx.store.headPosition();
    await new Promise<void>((resolve) => {
      const relay = startRelay({
        store: fx.store,
        databaseUrl: fx.db.url,
        nc,
        pollIntervalMs: 50,
        categories: [CALL_CATEGORY, callbacks],
        onSkippedCategory: (category, streamId) => skipped.push([category, streamId]),
        onCheckpoint: (position) => position >= head && resolve(relay.close()),
      });
    });
    const onCallbacks = await readCallEvents(1, nc, 'callbacks.>', callbacksStream);
    const onCalls = await readCallEvents(1, nc, 'calls.>');
    expect(onCallbacks.map((d) => [d.subject, d.streamId])).toEqual([
      [`callbacks.${callbackId}.call_created`, `callback-${callbackId}`],
    ]);
    expect(onCalls.map((d) => d.subject)).toEqual([`calls.${callId}.call_created`]);
    // Two events of the unknown category, one report; the checkpoint passed them.
    expect(skipped).toEqual([['config', `config-${callbackId}`]]);
    expect(await loadCheckpoint(fx.pool, RELAY_CHECKPOINT_ID)).toBe(head);
  }, 90_000);

  it('rides out a nats-server restart while writers append: every event once, in per-stream order', async () => {
    // Its own server, so the restart does not touch the other tests' connection.
    const own = await startNatsServer();
    const conn = await connectBus({ servers: own.url, name: 'relay-restart-test', reconnectTimeWaitMs: 100 });
    const retries: string[] = [];
    let checkpoint = 0;
    const relay = startRelay({
      store: fx.store,
      databaseUrl: fx.db.url,
      nc: conn,
      batchSize: 8,
      pollIntervalMs: 20,
      publishTimeoutMs: 500,
      initialRetryDelayMs: 50,
      maxRetryDelayMs: 400,
      onRetry: (error) => retries.push(error.message),
      onCheckpoint: (position) => (checkpoint = position),
    });
    const writers = startWriters();
    try {
      await waitFor('first checkpoint', () => checkpoint > 0 || undefined, 30_000);
      await own.halt();
      const atHalt = checkpoint;
      await waitFor('the relay retrying', () => retries.length >= 3 || undefined, 30_000);
      await own.restart();
      await waitFor('relay past the outage', () => checkpoint > atHalt || undefined, 30_000);
      const written = await writers.stop();
      const head = await fx.store.headPosition();
      await waitFor('relay at the head', () => checkpoint >= head || undefined, 30_000);
      expect(atHalt).toBeLessThan(head);
      const log = await fx.store.readAll(0, 100_000);
      expect(log).toHaveLength(written);
      assertExactlyOnceInOrder(await readCallEvents(written, conn), log);
    } finally {
      await writers.stop();
      await relay.close();
      await conn.close();
      await own.stop();
    }
    await expect(relay.closed()).resolves.toBeUndefined();
  }, 180_000);

  it('gives up leadership when its PostgreSQL session is killed, takes it again and loses nothing', async () => {
    let leaderships = 0;
    const lost: Error[] = [];
    let checkpoint = 0;
    const relay = startRelay({
      store: fx.store,
      databaseUrl: fx.db.url,
      nc,
      batchSize: 8,
      pollIntervalMs: 20,
      lockRetryMs: 50,
      initialRetryDelayMs: 50,
      onLeader: () => leaderships++,
      onLeadershipLost: (error) => lost.push(error),
      onCheckpoint: (position) => (checkpoint = position),
    });
    const writers = startWriters();
    const killSession = () =>
      fx.pool.query<{ killed: boolean }>(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
          WHERE application_name = $1 AND datname = current_database()`,
        [RELAY_APPLICATION_NAME],
      );
    try {
      for (let round = 1; round <= 3; round++) {
        await waitFor(`leader (round ${round})`, () => leaderships === round || undefined, 30_000);
        const before = checkpoint;
        await waitFor('progress', () => checkpoint > before || undefined, 30_000);
        expect((await killSession()).rows.map((r) => r.killed)).toEqual([true]);
        await waitFor('leadership given up', () => lost.length === round || undefined, 30_000);
      }
      await waitFor('leader again', () => leaderships === 4 || undefined, 30_000);
      const written = await writers.stop();
      const head = await fx.store.headPosition();
      await waitFor('relay at the head', () => checkpoint >= head || undefined, 30_000);
      // The lock was really released and taken again: one relay session holds it now.
      const { rows } = await fx.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND a.application_name = $1 AND a.datname = current_database()`,
        [RELAY_APPLICATION_NAME],
      );
      expect(rows[0]!.n).toBe(1);
      const log = await fx.store.readAll(0, 100_000);
      expect(log).toHaveLength(written);
      assertExactlyOnceInOrder(await readCallEvents(written), log);
    } finally {
      await writers.stop();
      await relay.close();
    }
  }, 180_000);

  it('after repeated kill -9 mid-batch, JetStream holds every event exactly once in per-stream order', async () => {
    const writers = startWriters();
    for (let round = 0; round < 4; round++) {
      const relay = startRelayProcess(8);
      await waitFor(
        'relay checkpoint',
        () => /checkpoint \d+/.test(relay.output()) || undefined,
        30_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${relay.output()}`);
      });
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 150)));
      await relay.kill();
      // Also force the worst case the kill may or may not have hit: a batch JetStream acked whose
      // checkpoint never got written. The next relay re-publishes it and JetStream must drop it.
      await fx.pool.query(
        'UPDATE event_checkpoint SET position = greatest(0, position - 6) WHERE subscriber_id = $1',
        [RELAY_CHECKPOINT_ID],
      );
    }
    const written = await writers.stop();
    const last = startRelayProcess(64);
    const head = await fx.store.headPosition();
    await waitFor(
      'final relay reached the head',
      () => last.output().includes(`checkpoint ${head}`) || undefined,
      60_000,
    );
    await last.stop();
    const log = await fx.store.readAll(0, 100_000);
    expect(log).toHaveLength(written);
    const delivered = await readCallEvents(written);
    assertExactlyOnceInOrder(delivered, log);
  }, 180_000);

  it('lets a standby relay take over when the leader is killed', async () => {
    const a = startRelayProcess();
    const b = startRelayProcess();
    const leaderOf = () => (/leader/.test(a.output()) ? a : /leader/.test(b.output()) ? b : undefined);
    const leader = await waitFor('a leader', leaderOf, 30_000);
    const standby = leader === a ? b : a;
    const first = randomCallId();
    await fx.store.append(callStreamId(first), 'no-stream', [callCreated(first), legAnswered(first)]);
    await waitFor('leader checkpoint', () => leader.output().includes('checkpoint') || undefined, 30_000);
    expect(standby.output()).not.toMatch(/leader/);
    await leader.kill();
    await waitFor('standby took over', () => /leader/.test(standby.output()) || undefined, 30_000);
    const second = randomCallId();
    await fx.store.append(callStreamId(second), 'no-stream', [callCreated(second), legAnswered(second)]);
    const head = await fx.store.headPosition();
    await waitFor(
      'standby published',
      () => standby.output().includes(`checkpoint ${head}`) || undefined,
      30_000,
    );
    await standby.stop();
    assertExactlyOnceInOrder(await readCallEvents(4), await fx.store.readAll(0, 100));
  }, 120_000);
});
