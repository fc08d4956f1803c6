import { startNatsServer, type NatsServerFixture } from '@callctl/testing';
import { connectBus, type NatsConnection } from './connection.js';
import { ensureRecordStream, RecordTable } from './record-table.js';

const STREAM = 'RECORD_TABLE_TEST';

let server: NatsServerFixture;
let nc: NatsConnection;
beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectBus({ servers: server.url, name: 'record-table-test' });
  await ensureRecordStream(nc, STREAM, 'records.>');
});
afterAll(async () => {
  await nc.close();
  await server.stop();
});

/** A table of one instance and kind, as a service opens it (a new object, as after a restart). */
const table = (instance: string, kind = 'leg') =>
  new RecordTable<{ state: string }>({
    nc,
    stream: STREAM,
    subjectOf: (id) => `records.${instance}.${kind}.${id}`,
    filter: `records.${instance}.${kind}.>`,
    timeoutMs: 2000,
  });

describe('record table', () => {
  it('gives back the latest value of each record put and not deleted, to the next run', async () => {
    const run = table('a');
    await run.put('1', { state: 'ringing' });
    await run.put('2', { state: 'ringing' });
    await run.put('3', { state: 'ringing' });
    await run.put('1', { state: 'answered' });
    await run.delete('2');
    const next = table('a');
    const records = await next.all();
    expect(records.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
      { id: '1', value: { state: 'answered' } },
      { id: '3', value: { state: 'ringing' } },
    ]);
  });

  it("reads only its own instance's and kind's records", async () => {
    await table('b').put('x', { state: 'mine' });
    await table('c').put('x', { state: 'other instance' });
    await table('b', 'bridge').put('x', { state: 'other kind' });
    expect(await table('b').all()).toEqual([{ id: 'x', value: { state: 'mine' } }]);
  });

  it('reads nothing when there is nothing', async () => {
    expect(await table('empty').all()).toEqual([]);
  });
});
