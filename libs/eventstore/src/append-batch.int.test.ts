// Group commit against the real PostgreSQL: appends issued together from one store go in one transaction
// (event_log_append_batch), and each caller still gets exactly what a lone append would have given.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { seededRandom, waitFor } from '@callctl/testing';
import {
  callStreamId,
  createEventStore,
  EVENT_LOG_CHANNEL,
  isConcurrencyError,
  isValidationError,
  VALIDATION_REASONS,
  type AppendResult,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
} from './index.js';
import { callCreated, legAnswered, randomCallId, setupStore, type StoreFixture } from '../test/fixtures.js';

let fx: StoreFixture;
beforeAll(async () => {
  fx = await setupStore();
});
afterAll(async () => {
  await fx[Symbol.asyncDispose]();
});

/** A store on the fixture's pool that records the size of each append transaction. */
function recordingStore(maxBatchEvents?: number): { store: EventStore; batches: [number, number][] } {
  const batches: [number, number][] = [];
  const store = createEventStore({
    pool: fx.pool,
    maxBatchEvents,
    onAppendBatch: (appends, events) => batches.push([appends, events]),
  });
  return { store, batches };
}

type Outcome =
  | { kind: 'appended' | 'duplicate'; result: AppendResult }
  | { kind: 'conflict'; actual: number }
  | { kind: 'reused' | 'invalid' };

async function outcomeOf(append: Promise<AppendResult>): Promise<Outcome> {
  try {
    const result = await append;
    return { kind: result.duplicate ? 'duplicate' : 'appended', result };
  } catch (error) {
    if (isConcurrencyError(error)) return { kind: 'conflict', actual: error.actual };
    if (isValidationError(error) && error.reason === VALIDATION_REASONS.eventIdReused)
      return { kind: 'reused' };
    if (isValidationError(error)) return { kind: 'invalid' };
    throw error;
  }
}

describe('event store: group commit', () => {
  it('gives each of many concurrent appends from one store its own outcome, as if applied one by one in call order', async () => {
    const seed = Number(process.env.APPEND_BATCH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const { store, batches } = recordingStore();

    // The model: streams as lists of appended appends, applied in call order.
    const streams = Array.from({ length: 6 }, () => callStreamId(randomCallId()));
    const version = new Map<string, number>(streams.map((s) => [s, 0]));
    const stored = new Map<string, string>(); // event id -> stream id
    const appendedOps: { stream: string; events: NewEvent[]; index: number }[] = [];
    const results: Outcome[] = [];
    const ops: {
      stream: string;
      expected: ExpectedVersion;
      events: NewEvent[];
      want: Outcome['kind'];
      original?: number;
      actual?: number;
    }[] = [];

    for (let wave = 0; wave < 8; wave++) {
      const waveOps: typeof ops = [];
      for (let i = 0; i < 40; i++) {
        const roll = random();
        if (roll < 0.15 && appendedOps.length > 0) {
          // A retry of an append that went in (perhaps earlier in this very wave): same ids and content.
          const original = pick(appendedOps);
          waveOps.push({
            stream: original.stream,
            expected: pick<ExpectedVersion>(['any', 'no-stream', 0, 7]),
            events: original.events,
            want: 'duplicate',
            original: original.index,
          });
        } else if (roll < 0.22 && appendedOps.length > 0) {
          // A stored id with other content: refused, nothing written.
          const original = pick(appendedOps);
          const event = original.events[0]!;
          waveOps.push({
            stream: original.stream,
            expected: 'any',
            events: [{ ...event, data: { callId: 'other', legId: 'Z' } }],
            want: 'reused',
          });
        } else if (roll < 0.25) {
          waveOps.push({ stream: pick(streams), expected: 'any', events: [], want: 'invalid' });
        } else {
          const stream = pick(streams);
          const current = version.get(stream)!;
          const expected = pick<ExpectedVersion>([
            current,
            current,
            current,
            'any',
            'no-stream',
            current + 1,
            Math.max(0, current - 1),
          ]);
          const want = expected === 'any' || (expected === 'no-stream' ? 0 : expected) === current;
          const events = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
            legAnswered(stream, `L${i}`),
          );
          if (want) {
            version.set(stream, current + events.length);
            for (const e of events) stored.set(e.eventId, stream);
            appendedOps.push({ stream, events, index: ops.length + waveOps.length });
            waveOps.push({ stream, expected, events, want: 'appended' });
          } else {
            waveOps.push({ stream, expected, events, want: 'conflict', actual: current });
          }
        }
      }
      // Issued together, with a turn of the event loop here and there so that lone appends and batches of
      // every size mix; the store applies them in call order whatever the batching.
      const pending: Promise<Outcome>[] = [];
      for (const op of waveOps) {
        pending.push(outcomeOf(store.append(op.stream, op.expected, op.events)));
        if (random() < 0.1) await new Promise((resolve) => setImmediate(resolve));
      }
      const outcomes = await Promise.all(pending);
      ops.push(...waveOps);
      const base = ops.length - waveOps.length;
      outcomes.forEach((outcome, i) => {
        const op = waveOps[i]!;
        const at = `seed ${seed}, op ${base + i} (${op.want}, expected ${String(op.expected)})`;
        expect([at, outcome.kind]).toEqual([at, op.want]);
        if (outcome.kind === 'conflict') expect([at, outcome.actual]).toEqual([at, op.actual]);
        if (outcome.kind === 'duplicate') {
          const original = (results[op.original!] as { result: AppendResult }).result;
          expect([at, outcome.result.positions]).toEqual([at, original.positions]);
        }
        results[base + i] = outcome;
      });
    }

    // Positions grow in call order, and the log holds exactly the model's streams.
    const positions = results.flatMap((o) => (o.kind === 'appended' ? o.result.positions : []));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    for (const stream of streams) {
      const read = await fx.store.readStream(stream);
      const want = appendedOps
        .filter((o) => o.stream === stream)
        .flatMap((o) => o.events.map((e) => e.eventId));
      expect([seed, stream, read.map((e) => e.eventId)]).toEqual([seed, stream, want]);
      expect(read.map((e) => e.streamVersion)).toEqual(want.map((_, i) => i + 1));
    }
    // The batched path really ran, with several appends per transaction.
    expect(batches.some(([appends]) => appends > 5)).toBe(true);
    expect(batches.length).toBeLessThan(ops.length);
  });

  it('chains appends to one stream within a batch, each seeing the one before', async () => {
    const { store, batches } = recordingStore();
    const callId = randomCallId();
    const stream = callStreamId(callId);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.append(stream, i === 0 ? 'no-stream' : i, [
          i === 0 ? callCreated(callId) : legAnswered(callId),
        ]),
      ),
    );
    expect(batches).toEqual([[20, 20]]);
    expect(results.map((r) => r.nextExpectedVersion)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const read = await fx.store.readStream(stream);
    expect(read.map((e) => e.globalPosition)).toEqual(results.flatMap((r) => r.positions));
    // Each append learns the recorded time its events were stored with, as a lone append does.
    expect(results.map((r) => r.recordedAt)).toEqual(read.map((e) => e.metadata.recordedAt));
  });

  it('lets exactly one of N writers with the same expected version win when they share a batch', async () => {
    const { store, batches } = recordingStore();
    const callId = randomCallId();
    const stream = callStreamId(callId);
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        outcomeOf(store.append(stream, 'no-stream', [legAnswered(callId, `L${i}`)])),
      ),
    );
    expect(batches).toEqual([[12, 12]]);
    expect(outcomes.map((o) => o.kind)).toEqual(['appended', ...Array<string>(11).fill('conflict')]);
    expect(outcomes.slice(1).every((o) => o.kind === 'conflict' && o.actual === 1)).toBe(true);
    // The conflict is the same typed error a lone append gets.
    const error = await store.append(stream, 'no-stream', [legAnswered(callId)]).catch((e: unknown) => e);
    const batched = await Promise.all([
      store.append(stream, 'no-stream', [legAnswered(callId)]).catch((e: unknown) => e),
      store.append(stream, 1, [legAnswered(callId)]),
    ]);
    expect(batched[0]).toMatchObject({
      name: 'ConcurrencyError',
      code: 'EVENTSTORE_CONCURRENCY',
      kind: (error as { kind: string }).kind,
      streamId: stream,
      expected: 'no-stream',
      actual: 1,
      message: (error as Error).message,
    });
  });

  it('answers a retry sent in the same batch as its original with the original positions', async () => {
    const { store, batches } = recordingStore();
    const callId = randomCallId();
    const stream = callStreamId(callId);
    const events = [callCreated(callId), legAnswered(callId)];
    const reused = { ...events[1]!, data: { callId, legId: 'other' } };
    const [first, retry, reuse, next] = await Promise.all([
      store.append(stream, 'no-stream', events),
      store.append(stream, 'no-stream', events),
      outcomeOf(store.append(stream, 'any', [reused])),
      store.append(stream, 2, [legAnswered(callId)]),
    ]);
    expect(batches).toEqual([[4, 6]]);
    expect(retry).toEqual({ ...first, duplicate: true, recordedAt: undefined, events: undefined });
    expect(reuse).toEqual({ kind: 'reused' });
    expect(next!.nextExpectedVersion).toBe(3);
    expect((await fx.store.readStream(stream)).map((e) => e.globalPosition)).toEqual([
      ...first!.positions,
      ...next!.positions,
    ]);
  });

  it('refuses malformed batches in the SQL function with invalid_parameter_value and writes nothing', async () => {
    const before = await fx.count();
    const call = (counts: number[], ids: string[]) =>
      fx.pool
        .query(
          `SELECT * FROM event_log_append_batch($1::text[], $2::int[], $3::int[], $4::jsonb[], $5::uuid[],
                                                $6::text[], $7::int[], $8::jsonb[])`,
          [
            counts.map(() => callStreamId(randomCallId())),
            counts.map(() => null),
            counts,
            counts.map(() => '{}'),
            ids,
            ids.map(() => 'LegAnswered'),
            ids.map(() => 1),
            ids.map(() => '{}'),
          ],
        )
        .catch((e: unknown) => e);
    const two = [randomUUID(), randomUUID()];
    expect(await call([], [])).toMatchObject({ code: '22023' });
    expect(await call([1], two)).toMatchObject({ code: '22023' }); // counts below the events
    expect(await call([2, 1], two)).toMatchObject({ code: '22023' }); // counts above the events
    expect(await call([2, 0], two)).toMatchObject({ code: '22023' }); // an empty item
    expect(await fx.count()).toBe(before);
  });

  it('keeps each transaction within maxBatchEvents and sends a larger append alone', async () => {
    const { store, batches } = recordingStore(10);
    const sizes = [3, 4, 2, 12, 5, 5, 1];
    const results = await Promise.all(
      sizes.map((n) => {
        const callId = randomCallId();
        return store.append(
          callStreamId(callId),
          'no-stream',
          Array.from({ length: n }, () => legAnswered(callId)),
        );
      }),
    );
    expect(batches).toEqual([
      [3, 9],
      [1, 12],
      [2, 10],
      [1, 1],
    ]);
    expect(results.map((r) => r.positions.length)).toEqual(sizes);
  });

  it('sends one NOTIFY per batch, carrying its last position', async () => {
    const listener = new pg.Client({ connectionString: fx.db.url });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (n) => payloads.push(n.payload ?? ''));
    await listener.query(`LISTEN ${EVENT_LOG_CHANNEL}`);
    try {
      const { store, batches } = recordingStore();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => {
          const callId = randomCallId();
          return store.append(callStreamId(callId), 'no-stream', [callCreated(callId), legAnswered(callId)]);
        }),
      );
      expect(batches).toEqual([[10, 20]]);
      // A later lone append's NOTIFY comes after the batch's (both sent at commit, in commit order).
      const callId = randomCallId();
      const lone = await store.append(callStreamId(callId), 'no-stream', [callCreated(callId)]);
      await waitFor(
        'the lone append notified',
        () => (payloads.includes(String(lone.positions[0])) ? true : undefined),
        10_000,
      );
      expect(payloads).toEqual([
        String(Math.max(...results.flatMap((r) => r.positions))),
        String(lone.positions[0]),
      ]);
    } finally {
      await listener.end();
    }
  });

  it('rejects every caller of a batch whose connection is killed mid-batch, and none of it becomes visible', async () => {
    const { store, batches } = recordingStore();
    // An uncommitted row holding an event id makes the batch wait on that id's unique index entry after
    // it has inserted its earlier items: the backend is then killed with those rows written but not committed.
    const blocker = await fx.pool.connect();
    const blockingId = randomUUID();
    await blocker.query('BEGIN');
    await blocker.query(
      `INSERT INTO event_log (event_id, stream_id, stream_version, type, data, metadata)
       VALUES ($1, $2, 1, 'LegAnswered', '{}', '{}')`,
      [blockingId, callStreamId(randomCallId())],
    );
    const streams = Array.from({ length: 8 }, () => callStreamId(randomCallId()));
    const pending = streams.map((stream, i) =>
      store
        .append(stream, 'no-stream', [
          i === 5 ? { ...legAnswered(stream), eventId: blockingId } : legAnswered(stream),
          legAnswered(stream),
        ])
        .then(
          () => undefined,
          (e: unknown) => e,
        ),
    );
    try {
      const pid = await waitFor(
        'the batch waits on the uncommitted event id',
        async () => {
          const { rows } = await fx.pool.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND query LIKE '%event_log_append_batch(%'
                AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
          );
          return rows[0]?.pid;
        },
        10_000,
      );
      expect(batches).toEqual([[8, 16]]);
      // Its earlier items are inserted (uncommitted) by now: the batch took the log lock before waiting.
      await fx.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      const errors = await Promise.all(pending);
      expect(errors.every((e) => e instanceof Error && !isConcurrencyError(e) && !isValidationError(e))).toBe(
        true,
      );
      expect(new Set(errors).size).toBe(1); // one failure, shared by the whole batch
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    const written = await fx.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM event_log WHERE stream_id = ANY($1)',
      [streams],
    );
    expect(written.rows[0]!.n).toBe(0);
    // The store goes on: the same appends succeed when sent again.
    const again = await Promise.all(streams.map((s) => store.append(s, 'no-stream', [legAnswered(s)])));
    expect(again.every((r) => r.nextExpectedVersion === 1)).toBe(true);
  });
});
