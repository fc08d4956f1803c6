// The core's keys, claims and admission against a real PostgreSQL log (CONTRACT "Ids and idempotency"). The
// platform is replaced by a double of our own Effects port that answers every command at once.
import { createTestDatabase, type TestDatabase } from '@callctl/testing';
import { createLogger } from '@callctl/logging';
import { callEvents } from '@callctl/proto';
import { callbackEventCodecs, createEventStore } from '@callctl/eventstore';
import pg from 'pg';
import { createAnnouncementResolver } from './announcements.js';
import { createCallbacks, type CallbackCore, type CallbacksOptions } from './callbacks.js';
import { callbackIdOf, claimStreamId, keyOf, requestDigest } from './claims.js';
import { parseDialPlan } from './dial-plan.js';
import type { Effects } from './effects.js';
import type { CallbackOrigin, CallbackSpec, OwedResponse } from './ports.js';
import type { CallbackCommand } from '../domain/callback.decide.js';

let db: TestDatabase;
let pool: pg.Pool;
const log = createLogger({ service: 'callback-test', level: 'silent' });
const codecs = callbackEventCodecs();

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 8 });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

/** Answers every command at once and remembers it. */
function platformDouble() {
  const sent: CallbackCommand[] = [];
  let calls = 0;
  const effects: Effects = {
    run(c) {
      sent.push(c);
      return Promise.resolve(
        c.type === 'CreateCall' ? { ok: true, callId: `call${++calls}`, legId: 'L1' } : { ok: true },
      );
    },
  };
  return { sent, effects };
}

function core(overrides: Partial<CallbacksOptions> = {}): CallbackCore & { sent: CallbackCommand[] } {
  const platform = platformDouble();
  const c = createCallbacks({
    store: createEventStore({ pool, codecs }),
    codecs,
    effects: platform.effects,
    dialPlan: parseDialPlan('9=>sip:{user}@gw-a sip:{user}@127.0.0.1:5090'),
    defaultCaller: 'callback',
    callerUriTemplate: 'sip:{caller}@callctl.invalid',
    announcements: createAnnouncementResolver({ configured: new Map() }),
    user2FailedAnnouncement: '00080003',
    ringTimeoutMs: 30_000,
    maxDurationS: 86_400,
    limits: { maxActive: 1000, maxPerSecond: 1000 },
    retransmissionWindowMs: 32_000,
    log,
    ...overrides,
  });
  return Object.assign(c, { sent: platform.sent });
}

let n = 0;
const uniqueKey = () => `key-${Date.now()}-${++n}`;
const spec = (o: Partial<CallbackSpec> = {}): CallbackSpec => ({
  user1: '100',
  user2: '101',
  maxDurationS: 60,
  ...o,
});
const grpc = (idempotencyKey: string): CallbackOrigin => ({ kind: 'grpc', idempotencyKey });
const iif = (iifId: string): CallbackOrigin => ({
  kind: 'iif',
  peerName: 'as1',
  peerAddress: '127.0.0.1:4000',
  iifId,
});

async function streamTypes(callbackId: string): Promise<string[]> {
  const events = await createEventStore({ pool, codecs }).readStream(`callback-${callbackId}`);
  return events.map((e) => e.type);
}

async function endBusy(c: CallbackCore, callbackId: string) {
  await c.onCallEvent(
    callbackId,
    {
      type: 'LegEnded',
      data: callEvents.LegEnded.fromPartial({
        callId: 'x',
        legId: 'L1',
        cause: callEvents.EndCause.END_CAUSE_BUSY,
        sipStatus: 486,
      }),
    },
    new Date(),
  );
}

describe('Callbacks.start (keys and claims)', () => {
  it('records the request, then places the call to user1 through the dial plan', async () => {
    const c = core();
    const key = uniqueKey();
    const out = await c.start(spec({ user1: '9123', annDigits2: '42', caller: '0123' }), grpc(key));
    expect(out).toMatchObject({ ok: true, created: true });
    if (!out.ok) return;
    expect(out.view.callbackId).toBe(callbackIdOf(keyOf(grpc(key)), 1));
    expect(out.view).toMatchObject({
      user1Uri: 'sip:9123@gw-a',
      user2Uri: 'sip:101@127.0.0.1:5090',
      callerUri: 'sip:0123@callctl.invalid',
    });
    await c.idle();
    expect(c.sent).toEqual([
      expect.objectContaining({
        type: 'CreateCall',
        key: `${out.view.callbackId}:user1`,
        clientState: `callback:${out.view.callbackId}`,
        maxDurationMs: 60_000,
      }),
    ]);
    expect(await streamTypes(out.view.callbackId)).toEqual(['CallbackRequested', 'CallbackUser1Called']);
  });

  it('answers the same key and fields with the same callback, without a second call', async () => {
    const c = core();
    const key = uniqueKey();
    const first = await c.start(spec(), grpc(key));
    const again = await c.start(spec(), grpc(key));
    expect(again).toMatchObject({ ok: true, created: false });
    if (!first.ok || !again.ok) throw new Error('refused');
    expect(again.view.callbackId).toBe(first.view.callbackId);
    await c.idle();
    expect(c.sent.filter((s) => s.type === 'CreateCall')).toHaveLength(1);
  });

  it('binds a key once when instances start it at the same time', async () => {
    const instances = [core(), core(), core()];
    const key = uniqueKey();
    const outcomes = await Promise.all(
      instances.flatMap((c) => [c.start(spec(), grpc(key)), c.start(spec(), grpc(key))]),
    );
    const ids = new Set(outcomes.map((o) => (o.ok ? o.view.callbackId : o.reason)));
    expect([...ids]).toEqual([callbackIdOf(keyOf(grpc(key)), 1)]);
    expect(outcomes.filter((o) => o.ok && o.created)).toHaveLength(1);
    const claims = await createEventStore({ pool, codecs }).readStream(claimStreamId(keyOf(grpc(key))));
    expect(claims).toHaveLength(1);
  });

  it('refuses a gRPC key reused with other fields, even once its callback is over', async () => {
    const c = core();
    const key = uniqueKey();
    const first = await c.start(spec(), grpc(key));
    expect(await c.start(spec({ user2: '102' }), grpc(key))).toMatchObject({
      ok: false,
      reason: 'duplicate',
    });
    if (!first.ok) throw new Error('refused');
    await c.idle();
    await endBusy(c, first.view.callbackId);
    expect(await c.start(spec({ user2: '102' }), grpc(key))).toMatchObject({
      ok: false,
      reason: 'duplicate',
    });
  });

  it('IIF: another request under an id in progress is refused; once over, the id starts a new callback', async () => {
    let now = Date.now();
    const c = core({ clock: () => now });
    const id = uniqueKey();
    const first = await c.start(spec(), iif(id));
    if (!first.ok) throw new Error('refused');
    expect(await c.start(spec({ user2: '102' }), iif(id))).toMatchObject({ ok: false, reason: 'duplicate' });
    await c.idle();
    await endBusy(c, first.view.callbackId);
    // The same request again within the retransmission window: the same (ended) callback.
    expect(await c.start(spec(), iif(id))).toMatchObject({
      ok: true,
      created: false,
      view: { callbackId: first.view.callbackId },
    });
    const other = await c.start(spec({ user2: '102' }), iif(id));
    expect(other).toMatchObject({
      ok: true,
      created: true,
      view: { callbackId: callbackIdOf(keyOf(iif(id)), 2) },
    });
    if (!other.ok) throw new Error('refused');
    await c.idle();
    await endBusy(c, other.view.callbackId);
    // Past the window the same request is a new callback too (an AS reusing its ids).
    now += 33_000;
    expect(await c.start(spec({ user2: '102' }), iif(id))).toMatchObject({
      ok: true,
      created: true,
      view: { callbackId: callbackIdOf(keyOf(iif(id)), 3) },
    });
  });

  it('records a claimed request whose CallbackRequested a crash lost', async () => {
    const key = uniqueKey();
    const origin = grpc(key);
    const c = core();
    // What a crash right after the claim leaves: the claim, no callback stream.
    const callbackId = callbackIdOf(keyOf(origin), 1);
    await createEventStore({ pool, codecs }).append(claimStreamId(keyOf(origin)), 'no-stream', [
      {
        eventId: crypto.randomUUID(),
        type: 'CallbackKeyClaimed',
        data: { key: keyOf(origin), callbackId, requestDigest: requestDigest(spec()) },
      },
    ]);
    expect(await c.start(spec(), origin)).toMatchObject({ ok: true, view: { callbackId } });
    expect(await streamTypes(callbackId)).toContain('CallbackRequested');
  });

  it('refuses bad fields, unknown users and unknown announcements before claiming anything', async () => {
    const c = core({ dialPlan: parseDialPlan('1=>sip:{user}@gw') });
    expect(await c.start(spec({ user1: 'a b' }), grpc(uniqueKey()))).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(await c.start(spec({ maxDurationS: 86_401 }), grpc(uniqueKey()))).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(await c.start(spec({ annId2: '1234' }), grpc(uniqueKey()))).toMatchObject({
      ok: false,
      reason: 'invalid',
    });
    expect(await c.start(spec(), grpc(''))).toMatchObject({ ok: false, reason: 'invalid' });
    expect(await c.start(spec({ user2: '200' }), grpc(uniqueKey()))).toMatchObject({
      ok: false,
      reason: 'unknown-user',
    });
    const key = uniqueKey();
    expect(await c.start(spec({ annId2: '12345678' }), grpc(key))).toMatchObject({
      ok: false,
      reason: 'unknown-announcement',
    });
    expect(await createEventStore({ pool, codecs }).readStream(claimStreamId(keyOf(grpc(key))))).toEqual([]);
  });
});

describe('admission', () => {
  it('caps the callbacks in progress, answers a replay at the cap, and counts', async () => {
    // The other tests' callbacks in this database are in progress too: the cap leaves room for one more.
    const counting = core();
    await counting.load();
    const active = counting.stats().active;
    const limited = core({ limits: { maxActive: active + 1, maxPerSecond: 100 } });
    await limited.load();
    const key = uniqueKey();
    expect(await limited.start(spec(), grpc(key))).toMatchObject({ ok: true, created: true });
    expect(await limited.start(spec(), grpc(uniqueKey()))).toMatchObject({
      ok: false,
      reason: 'concurrency',
    });
    expect(await limited.start(spec(), grpc(key))).toMatchObject({ ok: true, created: false });
    expect(limited.stats()).toMatchObject({ admitted: 1, refusedConcurrency: 1, refusedRate: 0 });
  });

  it('limits new callbacks per second', async () => {
    const c = core({ limits: { maxActive: 100_000, maxPerSecond: 2 }, clock: () => 1_000_000 });
    expect(await c.start(spec(), grpc(uniqueKey()))).toMatchObject({ ok: true });
    expect(await c.start(spec(), grpc(uniqueKey()))).toMatchObject({ ok: true });
    expect(await c.start(spec(), grpc(uniqueKey()))).toMatchObject({ ok: false, reason: 'rate' });
    expect(c.stats()).toMatchObject({ admitted: 2, refusedRate: 1 });
  });
});

describe('restart', () => {
  it('re-drives what open callbacks are owed and owes unsettled IIF RESPONSEs, once settled no more', async () => {
    const before = core();
    const open = await before.start(spec(), grpc(uniqueKey()));
    const iifOne = await before.start(spec(), iif(uniqueKey()));
    if (!open.ok || !iifOne.ok) throw new Error('refused');
    await before.idle();
    await endBusy(before, iifOne.view.callbackId);

    const owed: OwedResponse[] = [];
    const after = core({ responses: { owe: (r) => owed.push(r) } });
    await after.load();
    await after.idle();
    // Its CreateCall had been answered (User1Called): nothing to send again for it.
    expect(
      after.sent.filter((s) => s.type === 'CreateCall' && s.key.startsWith(open.view.callbackId)),
    ).toEqual([]);
    expect(owed).toContainEqual({
      callbackId: iifOne.view.callbackId,
      iifId: iifOne.view.origin!.iifId,
      peerAddress: '127.0.0.1:4000',
      realDurationS: 0,
    });
    await after.settleResponse(iifOne.view.callbackId, true, 1);
    expect(await streamTypes(iifOne.view.callbackId)).toContain('CallbackResponseSettled');
    const owedLater: OwedResponse[] = [];
    const third = core({ responses: { owe: (r) => owedLater.push(r) } });
    await third.load();
    expect(owedLater.map((r) => r.callbackId)).not.toContain(iifOne.view.callbackId);
  });

  it('places the call of a callback recorded but never placed', async () => {
    const never: Effects = { run: () => new Promise(() => undefined) };
    const crashed = core({ effects: never });
    const out = await crashed.start(spec(), grpc(uniqueKey()));
    if (!out.ok) throw new Error('refused');
    const after = core();
    await after.load();
    await after.idle();
    expect(after.sent).toContainEqual(
      expect.objectContaining({ type: 'CreateCall', key: `${out.view.callbackId}:user1` }),
    );
    expect((await after.get(out.view.callbackId))?.callId).toMatch(/^call/);
  });
});
