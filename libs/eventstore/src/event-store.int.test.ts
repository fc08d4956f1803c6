import { randomUUID } from 'node:crypto';
import {
  callStreamId,
  callIdOfStream,
  createEventStore,
  type ConcurrencyError,
  isConcurrencyError,
  isValidationError,
  VALIDATION_REASONS,
  subscribeAll,
  type RecordedEvent,
} from './index.js';
import { waitFor } from '@callctl/testing';
import { APPEND_LOCK_KEY } from './event-store.js';
import { callCreated, legAnswered, randomCallId, setupStore, type StoreFixture } from '../test/fixtures.js';

let fx: StoreFixture;
beforeAll(async () => {
  fx = await setupStore({ maxPayloadBytes: 4096 });
});
afterAll(async () => {
  await fx[Symbol.asyncDispose]();
});

describe('event store: append and read', () => {
  it('appends to a new stream and reads it back in version order with envelope fields', async () => {
    const callId = randomCallId();
    const stream = callStreamId(callId);
    const events = [callCreated(callId, 'st'), legAnswered(callId)];
    const result = await fx.store.append(stream, 'no-stream', events, {
      correlationId: 'corr-1',
      causationId: 'cmd-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(result.nextExpectedVersion).toBe(2);
    expect(result.duplicate).toBe(false);
    const read = await fx.store.readStream(stream);
    expect(read.map((e) => [e.eventId, e.streamVersion, e.globalPosition, e.type])).toEqual([
      [events[0]!.eventId, 1, result.positions[0], 'CallCreated'],
      [events[1]!.eventId, 2, result.positions[1], 'LegAnswered'],
    ]);
    expect(read[0]!.data).toEqual({ callId, clientState: 'st' });
    expect(read[1]!.metadata).toMatchObject({ correlationId: 'corr-1', causationId: 'cmd-1' });
    expect(read[1]!.metadata.recordedAt).toBeInstanceOf(Date);
    // The writer gets the recorded events exactly as a read returns them (its cache folds them as they are).
    expect(result.events).toEqual(read);
    expect(read.map((e) => e.metadata.recordedAt)).toEqual([result.recordedAt, result.recordedAt]);
    expect(callIdOfStream(stream)).toBe(callId);
  });

  it('reads one stream from a version', async () => {
    const callId = randomCallId();
    await fx.store.append(callStreamId(callId), 'no-stream', [callCreated(callId), legAnswered(callId)]);
    const read = await fx.store.readStream(callStreamId(callId), 2);
    expect(read.map((e) => e.streamVersion)).toEqual([2]);
  });

  it('answers reads made together with one query, each with its own stream from its own version', async () => {
    const batches: number[] = [];
    const store = createEventStore({ pool: fx.pool, onReadBatch: (streams) => batches.push(streams) });
    const calls = Array.from({ length: 3 }, randomCallId);
    for (const callId of calls)
      await store.append(callStreamId(callId), 'no-stream', [callCreated(callId), legAnswered(callId)]);
    const reads: [string, number][] = [
      [callStreamId(calls[0]!), 1],
      [callStreamId(calls[1]!), 2],
      [callStreamId(randomCallId()), 1], // no such stream
      [callStreamId(calls[2]!), 3], // past its end
      [callStreamId(calls[0]!), 1], // the same stream twice
    ];
    const together = await Promise.all(reads.map(([stream, from]) => store.readStream(stream, from)));
    expect(batches).toEqual([reads.length]);
    const alone: RecordedEvent[][] = [];
    for (const [stream, from] of reads) alone.push(await store.readStream(stream, from));
    expect(batches).toEqual([reads.length, 1, 1, 1, 1, 1]);
    expect(together).toEqual(alone);
    expect(together.map((events) => events.map((e) => e.streamVersion))).toEqual([
      [1, 2],
      [2],
      [],
      [],
      [1, 2],
    ]);
  });

  it('lets exactly one of N concurrent writers with the same expected version win each version', async () => {
    const callId = randomCallId();
    const stream = callStreamId(callId);
    await fx.store.append(stream, 'no-stream', [callCreated(callId)]);
    const writers = 12;
    for (let version = 1; version <= 3; version++) {
      const outcomes = await Promise.allSettled(
        Array.from({ length: writers }, (_, i) =>
          fx.store.append(stream, version, [legAnswered(callId, `L${i}`)]),
        ),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(writers - 1);
      for (const o of lost) {
        expect(isConcurrencyError(o.reason)).toBe(true);
        expect(o.reason).toMatchObject({
          code: 'EVENTSTORE_CONCURRENCY',
          streamId: stream,
          expected: version,
        });
        expect((o.reason as ConcurrencyError).actual).toBe(version + 1);
      }
    }
    expect((await fx.store.readStream(stream)).map((e) => e.streamVersion)).toEqual([1, 2, 3, 4]);
  });

  it('treats a re-append of the same event ids as a no-op returning the original positions', async () => {
    const callId = randomCallId();
    const stream = callStreamId(callId);
    const events = [callCreated(callId), legAnswered(callId)];
    const first = await fx.store.append(stream, 'no-stream', events);
    const before = await fx.count();
    // A retry after a lost reply: same ids, same expected version, and also with 'any'.
    const retry = await fx.store.append(stream, 'no-stream', events);
    const retryAny = await fx.store.append(stream, 'any', events);
    expect(retry).toEqual({ ...first, duplicate: true, recordedAt: undefined, events: undefined });
    expect(retryAny.positions).toEqual(first.positions);
    expect(await fx.count()).toBe(before);
    expect(await fx.store.readStream(stream)).toHaveLength(2);
  });

  it('refuses an event id reused with different content and writes nothing', async () => {
    const callId = randomCallId();
    const stream = callStreamId(callId);
    const event = legAnswered(callId, 'A');
    await fx.store.append(stream, 'any', [event]);
    const before = await fx.count();
    const changed = { ...event, data: { callId, legId: 'B' } };
    await expect(fx.store.append(stream, 'any', [changed])).rejects.toMatchObject({
      code: 'EVENTSTORE_VALIDATION',
      reason: VALIDATION_REASONS.eventIdReused,
    });
    // A batch that mixes a stored id with a new one is a reuse too.
    await expect(fx.store.append(stream, 'any', [event, legAnswered(callId)])).rejects.toMatchObject({
      reason: VALIDATION_REASONS.eventIdReused,
    });
    expect(await fx.count()).toBe(before);
  });
});

describe('event store: the append function and its errors', () => {
  /** The SQL function called directly, as another client of the log could. */
  async function callAppend(streamId: string, expected: number | null, ids: string[]): Promise<unknown> {
    return fx.pool
      .query(`SELECT * FROM event_log_append($1, $2, $3::uuid[], $4::text[], $5::int[], $6::jsonb[], '{}')`, [
        streamId,
        expected,
        ids,
        ids.map(() => 'LegAnswered'),
        ids.map(() => 1),
        ids.map(() => '{}'),
      ])
      .then(
        () => undefined,
        (error: unknown) => error,
      );
  }

  it('raises SQLSTATE CC001 with the actual version in DETAIL, which the store maps to ConcurrencyError', async () => {
    const callId = randomCallId();
    const stream = callStreamId(callId);
    await fx.store.append(stream, 'no-stream', [callCreated(callId), legAnswered(callId)]);
    expect(await callAppend(stream, 7, [randomUUID()])).toMatchObject({ code: 'CC001', detail: '2' });
    const error = await fx.store.append(stream, 'no-stream', [legAnswered(callId)]).catch((e: unknown) => e);
    expect(isConcurrencyError(error)).toBe(true);
    expect(error).toMatchObject({ streamId: stream, expected: 'no-stream', actual: 2 });
    expect((error as Error).cause).toMatchObject({ code: 'CC001' });
  });

  it('raises SQLSTATE CC002 naming the reused id, which the store maps to an event_id_reused ValidationError', async () => {
    const callId = randomCallId();
    const event = legAnswered(callId);
    await fx.store.append(callStreamId(callId), 'any', [event]);
    const other = callStreamId(randomCallId());
    expect(await callAppend(other, null, [event.eventId])).toMatchObject({
      code: 'CC002',
      detail: event.eventId,
    });
    // The same event (same content) appended to another stream is a reuse, not a retry.
    await expect(fx.store.append(other, 'any', [event])).rejects.toMatchObject({
      code: 'EVENTSTORE_VALIDATION',
      reason: VALIDATION_REASONS.eventIdReused,
      cause: expect.objectContaining({ code: 'CC002' }),
    });
    expect(await fx.store.readStream(other)).toEqual([]);
  });

  it('treats a stored batch re-sent in another order as a reuse, not a retry', async () => {
    const callId = randomCallId();
    const stream = callStreamId(callId);
    const events = [callCreated(callId), legAnswered(callId)];
    await fx.store.append(stream, 'no-stream', events);
    await expect(fx.store.append(stream, 'any', [events[1]!, events[0]!])).rejects.toMatchObject({
      reason: VALIDATION_REASONS.eventIdReused,
    });
    // A retry of a later slice of a stored batch still returns its original positions.
    const all = await fx.store.readStream(stream);
    await expect(fx.store.append(stream, 'any', [events[1]!])).resolves.toEqual({
      nextExpectedVersion: 2,
      positions: [all[1]!.globalPosition],
      duplicate: true,
    });
  });

  it('refuses arrays of different lengths with invalid_parameter_value and writes nothing', async () => {
    const before = await fx.count();
    const error = await fx.pool
      .query(
        `SELECT * FROM event_log_append('call-x', NULL, ARRAY[$1::uuid], ARRAY['LegAnswered', 'LegAnswered'],
                                         ARRAY[1], ARRAY['{}'::jsonb], '{}')`,
        [randomUUID()],
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '22023' });
    expect(await fx.count()).toBe(before);
  });
});

describe('event store: bad input is refused with a typed error and nothing written', () => {
  const cases: [string, () => Promise<unknown>, string][] = [
    [
      'wrong expected version',
      async () => {
        const callId = randomCallId();
        await fx.store.append(callStreamId(callId), 'no-stream', [callCreated(callId)]);
        return fx.store.append(callStreamId(callId), 5, [legAnswered(callId)]);
      },
      'EVENTSTORE_CONCURRENCY',
    ],
    [
      'expected version that is not a version',
      () => fx.store.append(callStreamId(randomCallId()), 1.5, [legAnswered('c')]),
      VALIDATION_REASONS.invalidExpectedVersion,
    ],
    [
      'negative expected version',
      () => fx.store.append(callStreamId(randomCallId()), -1, [legAnswered('c')]),
      VALIDATION_REASONS.invalidExpectedVersion,
    ],
    [
      'empty batch',
      () => fx.store.append(callStreamId(randomCallId()), 'any', []),
      VALIDATION_REASONS.emptyBatch,
    ],
    [
      'oversize payload',
      () => {
        const callId = randomCallId();
        return fx.store.append(callStreamId(callId), 'any', [callCreated(callId, 'x'.repeat(5000))]);
      },
      VALIDATION_REASONS.payloadTooLarge,
    ],
    [
      'invalid stream id',
      () => fx.store.append('call id with spaces', 'any', [legAnswered('c')]),
      VALIDATION_REASONS.invalidStreamId,
    ],
    [
      'unknown event type',
      () =>
        fx.store.append(callStreamId(randomCallId()), 'any', [
          { eventId: randomUUID(), type: 'LegTeleported', data: {} },
        ]),
      VALIDATION_REASONS.unknownEventType,
    ],
    [
      'event id that is not a UUID',
      () => fx.store.append(callStreamId(randomCallId()), 'any', [{ ...legAnswered('c'), eventId: 'nope' }]),
      VALIDATION_REASONS.invalidEventId,
    ],
  ];
  it.each(cases)('%s', async (_name, act, expected) => {
    const before = await fx.count();
    const error: unknown = await act().then(
      () => undefined,
      (e: unknown) => e,
    );
    const wrote = expected === 'EVENTSTORE_CONCURRENCY' ? 1 : 0; // the setup append of that case
    expect(await fx.count()).toBe(before + wrote);
    if (expected === 'EVENTSTORE_CONCURRENCY') {
      expect(isConcurrencyError(error)).toBe(true);
    } else {
      expect(isValidationError(error)).toBe(true);
      expect(error).toMatchObject({ code: 'EVENTSTORE_VALIDATION', reason: expected });
    }
  });

  it('rejects a call id that cannot be a subject token', () => {
    expect(() => callStreamId('a.b')).toThrow(expect.objectContaining({ code: 'EVENTSTORE_VALIDATION' }));
  });
});

describe('event store: gap safety', () => {
  it('never lets a live subscriber skip an event whose transaction took a lower position and committed later', async () => {
    const start = await fx.store.headPosition();
    const sub = subscribeAll({
      store: fx.store,
      databaseUrl: fx.db.url,
      afterPosition: start,
      pollIntervalMs: 50,
    });
    const seen: RecordedEvent[] = [];
    const consuming = (async () => {
      for await (const event of sub) seen.push(event);
    })();
    // A slow appender following the store's protocol: lock, draw a position, then stay uncommitted.
    const slow = await fx.pool.connect();
    const slowCall = randomCallId();
    await slow.query('BEGIN');
    await slow.query('SELECT pg_advisory_xact_lock($1)', [APPEND_LOCK_KEY.toString()]);
    const { rows } = await slow.query<{ global_position: string }>(
      `INSERT INTO event_log (event_id, stream_id, stream_version, type, data, metadata)
       VALUES ($1, $2, 1, 'CallCreated', $3, '{}') RETURNING global_position`,
      [randomUUID(), callStreamId(slowCall), JSON.stringify({ callId: slowCall })],
    );
    const slowPosition = Number(rows[0]!.global_position);
    // Later appenders start while it is open; they must not become visible ahead of it.
    const later = Array.from({ length: 10 }, () => {
      const id = randomCallId();
      return fx.store.append(callStreamId(id), 'no-stream', [callCreated(id), legAnswered(id)]);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seenWhileOpen = seen.filter((e) => e.globalPosition > start).length;
    await slow.query('COMMIT');
    slow.release();
    expect(seenWhileOpen).toBe(0);
    const results = await Promise.all(later);
    for (const r of results) expect(Math.min(...r.positions)).toBeGreaterThan(slowPosition);
    const expected = 1 + 10 * 2;
    await waitFor('subscriber caught up', () => (seen.length >= expected ? true : undefined), 20_000);
    await sub.close();
    await consuming;
    const positions = seen.map((e) => e.globalPosition);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(positions.length);
    expect(positions[0]).toBe(slowPosition);
    const all = (await fx.store.readAll(start, 1000)).map((e) => e.globalPosition);
    expect(positions).toEqual(all);
  });
});
