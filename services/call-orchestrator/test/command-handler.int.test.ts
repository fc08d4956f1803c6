// Optimistic concurrency of the command handler against the real event log: two handlers (as two
// orchestrator instances would be, each with its own cache and locks) append to one call at once.
import pg from 'pg';
import { callStreamId, createEventStore, type EventStore } from '@callctl/eventstore';
import { createLogger } from '@callctl/logging';
import { runInTrace, traceIdOf } from '@callctl/telemetry';
import { callEvents } from '@callctl/proto';
import { createTestDatabase, type TestDatabase } from '@callctl/testing';
import { systemIds } from '../src/adapters/ids.js';
import { KeyedQueue } from '@callctl/service';
import { CallRepository } from '../src/app/call-repository.js';
import { CommandEffects } from '../src/app/command-effects.js';
import { CommandHandler, type CommandContext } from '../src/app/handle-command.js';
import type { MediaPort, SipEdgePort } from '../src/app/ports.js';
import type { CallCommand } from '../src/domain/call.commands.js';

const log = createLogger({ service: 'handler-test', level: 'silent' });
const ids = systemIds(Date.now);
/** The commands here (facts) have no SIP or media action; a call to a peer would be a bug. */
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('no peer action expected')) });

let db: TestDatabase;
let pool: pg.Pool;
let store: EventStore;
beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 20 });
  pool.on('error', () => undefined);
  store = createEventStore({ pool });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

const instance = (maxAttempts?: number, calls = new CallRepository(store)) =>
  new CommandHandler({
    store,
    calls,
    locks: new KeyedQueue(),
    effects: new CommandEffects(unused as SipEdgePort, unused as MediaPort),
    ids,
    log,
    maxAttempts,
    conflictBackoffMs: 1,
  });
const meta = () => ({ now: Date.now(), newId: ids.next() });
const cmd = <T extends CallCommand['type']>(type: T, data: Extract<CallCommand, { type: T }>['data']) =>
  ({ type, data, metadata: meta() }) as CallCommand;

/** A new inbound call whose leg rings (recorded in `context`: a trace, say). */
async function ringingCall(
  handler: CommandHandler,
  context?: CommandContext,
): Promise<{ callId: string; legId: string }> {
  const callId = ids.next();
  const legId = ids.next();
  await handler.handle(
    callId,
    {
      type: 'RecordInboundCall',
      data: { callId, fromUri: 'sip:a@127.0.0.1', toUri: 'sip:b@127.0.0.1', sipCallId: 's', clientState: '' },
      metadata: { now: Date.now(), newId: legId },
    },
    context,
  );
  return { callId, legId };
}

async function answeredCall(handler: CommandHandler): Promise<{ callId: string; legId: string }> {
  const call = await ringingCall(handler);
  await handler.handle(call.callId, cmd('RecordLegAnswered', { legId: call.legId }));
  return call;
}

describe('command handler under concurrent appends', () => {
  it('records every command once, in one gap-free stream, by reloading on conflicts', async () => {
    const [one, two] = [instance(50), instance(50)];
    const { callId, legId } = await answeredCall(one);
    const digits = [...'0123456789*#0123456789'];
    await Promise.all(
      digits.map((digit, i) => (i % 2 ? one : two).handle(callId, cmd('RecordDtmf', { legId, digit }))),
    );
    const stream = await store.readStream(callStreamId(callId));
    expect(stream.map((e) => e.streamVersion)).toEqual(stream.map((_, i) => i + 1));
    const recorded = stream
      .filter((e) => e.type === 'DtmfReceived')
      .map((e) => (e.data as { digit: string }).digit);
    expect(recorded.sort()).toEqual([...digits].sort());
  });

  it('gives up with a ConcurrencyError (ABORTED) when conflicts outlast its attempts', async () => {
    const handlers = Array.from({ length: 10 }, () => instance(1));
    const { callId, legId } = await answeredCall(handlers[0]!);
    const results = await Promise.allSettled(
      handlers.map((h) => h.handle(callId, cmd('RecordDtmf', { legId, digit: '1' }))),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed)
      expect((f as PromiseRejectedResult).reason).toMatchObject({ code: 'CONCURRENCY' });
    const stream = await store.readStream(callStreamId(callId));
    expect(stream.filter((e) => e.type === 'DtmfReceived')).toHaveLength(results.length - failed.length);
  });

  it('rechecks against the log an outcome decided on a cache that is behind', async () => {
    const behindCache = new CallRepository(store);
    const [one, behind] = [instance(), instance(undefined, behindCache)];
    const { callId, legId } = await ringingCall(one);
    await behindCache.load(callId); // it now caches the leg as ringing
    await one.handle(callId, cmd('RecordLegAnswered', { legId }));
    // On the ringing leg of its cache a digit would be ignored; on the log's answered leg it is recorded.
    await behind.handle(callId, cmd('RecordDtmf', { legId, digit: '7' }));
    const stream = await store.readStream(callStreamId(callId));
    expect(stream.map((e) => e.type)).toEqual([
      'CallCreated',
      'LegInitiated',
      'LegRinging',
      'LegAnswered',
      'DtmfReceived',
    ]);
  });

  it('folds its own appends into the cache exactly as a reader of the log folds them', async () => {
    const calls = new CallRepository(store);
    const handler = instance(undefined, calls);
    const { callId, legId } = await answeredCall(handler);
    await handler.handle(callId, cmd('RecordDtmf', { legId, digit: '4' }), { causationId: 'fact-1' });
    await handler.handle(
      callId,
      cmd('RecordLegEnded', {
        legId,
        sipStatus: 0,
        reason: 'bye',
        cause: callEvents.EndCause.END_CAUSE_REMOTE_HANGUP,
      }),
    );
    const fromLog = await new CallRepository(store).load(callId);
    expect(calls.cached(callId)).toEqual(fromLog);
    expect(fromLog.causations.has('fact-1')).toBe(true);
    expect(fromLog.state.status).toBe('ended');
  });
});

describe('command handler and traces', () => {
  const CALL_TRACE = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const FACT_TRACE = '00-11111111111111111111111111111111-2222222222222222-01';
  const metadataOf = async (callId: string) =>
    (await store.readStream(callStreamId(callId))).map((e) => e.metadata);

  it('records a command under the trace it came with, else under the trace of the work in hand', async () => {
    const handler = instance();
    const { callId, legId } = await ringingCall(handler, { traceparent: CALL_TRACE });
    await runInTrace(FACT_TRACE, () => handler.handle(callId, cmd('RecordLegAnswered', { legId })));
    const recorded = await metadataOf(callId);
    expect(recorded[0]?.traceparent).toBe(CALL_TRACE);
    expect(recorded.at(-1)?.traceparent).toBe(FACT_TRACE);
  });

  it("starts a new trace linked to the call's for work that starts one (a deadline)", async () => {
    const handler = instance();
    const { callId, legId } = await ringingCall(handler, { traceparent: CALL_TRACE });
    // Even inside other work, a deadline's trace is its own.
    await runInTrace(FACT_TRACE, () =>
      handler.handle(callId, cmd('RecordLegAnswered', { legId }), { startsTrace: true }),
    );
    const last = (await metadataOf(callId)).at(-1)!;
    expect(traceIdOf(last.traceparent)).toBeDefined();
    expect(traceIdOf(last.traceparent)).not.toBe(traceIdOf(CALL_TRACE));
    expect(traceIdOf(last.traceparent)).not.toBe(traceIdOf(FACT_TRACE));
    expect(last.linkedTraceparent).toBe(CALL_TRACE);
  });

  it("records a fact that came with no trace under the call's", async () => {
    const handler = instance();
    const { callId, legId } = await ringingCall(handler, { traceparent: CALL_TRACE });
    await handler.handle(callId, cmd('RecordLegAnswered', { legId }));
    expect((await metadataOf(callId)).at(-1)?.traceparent).toBe(CALL_TRACE);
  });
});
