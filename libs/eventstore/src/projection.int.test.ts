import fc from 'fast-check';
import type pg from 'pg';
import {
  callStreamId,
  catchUpProjection,
  rebuildProjection,
  runProjection,
  type Projection,
  type RecordedEvent,
} from './index.js';
import { waitFor } from '@callctl/testing';
import { callCreated, legAnswered, setupStore, type StoreFixture } from '../test/fixtures.js';

let fx: StoreFixture;
beforeAll(async () => {
  fx = await setupStore();
  await fx.pool.query(
    'CREATE TABLE test_call_summary (call_id text PRIMARY KEY, answered_legs int NOT NULL, last_version int NOT NULL)',
  );
});
afterAll(async () => {
  await fx[Symbol.asyncDispose]();
});

/** A small read model: answered legs per call. */
const callSummary: Projection = {
  name: 'projection:test_call_summary',
  async apply(client: pg.PoolClient, event: RecordedEvent) {
    const callId = (event.data as { callId: string }).callId;
    if (event.type === 'CallCreated') {
      await client.query('INSERT INTO test_call_summary VALUES ($1, 0, $2)', [callId, event.streamVersion]);
    } else if (event.type === 'LegAnswered') {
      await client.query(
        'UPDATE test_call_summary SET answered_legs = answered_legs + 1, last_version = $2 WHERE call_id = $1',
        [callId, event.streamVersion],
      );
    }
  },
  async reset(client: pg.PoolClient) {
    await client.query('TRUNCATE test_call_summary');
  },
};

async function snapshot(): Promise<unknown[]> {
  return (await fx.pool.query('SELECT * FROM test_call_summary ORDER BY call_id')).rows;
}

describe('projection', () => {
  it('rebuilt from position 0 equals the live-built read model after a random workload', async () => {
    // Seeded by fast-check; a failure prints the seed and the shrunk workload to replay it.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ call: fc.nat(4), legs: fc.nat(3), catchUp: fc.boolean() }), {
          minLength: 1,
          maxLength: 15,
        }),
        fc.uuid({ version: 4 }),
        async (steps, runId) => {
          const versions = new Map<number, number>();
          for (const step of steps) {
            const callId = `${runId}-${step.call}`;
            const version = versions.get(step.call) ?? 0;
            const events = version === 0 ? [callCreated(callId)] : [];
            for (let i = 0; i < step.legs; i++) events.push(legAnswered(callId, `L${i}`));
            if (events.length === 0) continue;
            const r = await fx.store.append(
              callStreamId(callId),
              version === 0 ? 'no-stream' : version,
              events,
            );
            versions.set(step.call, r.nextExpectedVersion);
            // Live: the runner catches up at random points of the workload, in small batches.
            if (step.catchUp)
              await catchUpProjection(callSummary, { pool: fx.pool, store: fx.store, batchSize: 3 });
          }
          const head = await catchUpProjection(callSummary, { pool: fx.pool, store: fx.store, batchSize: 3 });
          expect(head).toBe(await fx.store.headPosition());
          const live = await snapshot();
          const rebuiltHead = await rebuildProjection(callSummary, { pool: fx.pool, store: fx.store });
          expect(rebuiltHead).toBe(head);
          expect(await snapshot()).toEqual(live);
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);

  it('keeps the checkpoint and the read model together when applying fails', async () => {
    const before = await snapshot();
    const failing: Projection = {
      ...callSummary,
      async apply(client, event) {
        await callSummary.apply(client, event);
        throw new Error('projection bug');
      },
    };
    const callId = `fail-${Date.now()}`;
    await fx.store.append(callStreamId(callId), 'no-stream', [callCreated(callId)]);
    await expect(catchUpProjection(failing, { pool: fx.pool, store: fx.store })).rejects.toThrow(
      'projection bug',
    );
    expect(await snapshot()).toEqual(before);
    await catchUpProjection(callSummary, { pool: fx.pool, store: fx.store });
    expect((await snapshot()).length).toBe(before.length + 1);
  });

  it('a running projection follows appends live', async () => {
    const runner = runProjection(callSummary, { pool: fx.pool, store: fx.store, databaseUrl: fx.db.url });
    const callId = `live-${Date.now()}`;
    await fx.store.append(callStreamId(callId), 'no-stream', [callCreated(callId), legAnswered(callId)]);
    await waitFor(
      'the read model shows the call',
      async () =>
        (await fx.pool.query('SELECT answered_legs FROM test_call_summary WHERE call_id = $1', [callId]))
          .rows[0]?.answered_legs === 1 || undefined,
      20_000,
    );
    await runner.close();
    expect(await runner.closed()).toBeUndefined();
  });
});
