// The Callback gRPC adapter over a real callback log (a PostgreSQL database of its own, callback codecs) and
// a small double of our own seam `Callbacks`: request checks and their messages, every refusal's status,
// paging, cancel, stats, WatchCallbackEvents (stored then live, in order, filtered), and API_AUTH=token.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import pg from 'pg';
import {
  createCallbackClient,
  NO_RETRIES,
  type CallbackClient,
  type CallbackRequestOf,
  type EventFeed,
} from '@callctl/client';
import { callbackEventCodecs, createEventStore, type EventStore, type NewEvent } from '@callctl/eventstore';
import { createLogger } from '@callctl/logging';
import { callback, callbackEvents } from '@callctl/proto';
import { tokenHash } from '@callctl/service';
import { createTestDatabase, type TestDatabase } from '@callctl/testing';
import type {
  CallbackOrigin,
  Callbacks,
  CallbackSpec,
  CallbackStats,
  ListQuery,
  RefusalReason,
  StartOutcome,
} from '../../app/ports.js';
import { startCallbackGrpc, type CallbackGrpc } from './callback-grpc.js';

const log = createLogger({ service: 'callback-grpc-test', level: 'silent' });

const view = (callbackId: string, state = callback.CallbackState.CALLBACK_STATE_REQUESTED) =>
  callback.CallbackView.fromPartial({ callbackId, state, user1: '100', user2: '101' });

/** The core as the adapter sees it, answering what each test sets. */
class CallbacksDouble implements Callbacks {
  starts: Array<{ spec: CallbackSpec; origin: CallbackOrigin }> = [];
  startOutcome: StartOutcome = { ok: true, view: view('cb1-1'), created: true };
  views = new Map([['cb-live', view('cb-live')]]);
  lists: ListQuery[] = [];
  cancels: Array<{ callbackId: string; reason: string }> = [];

  async start(spec: CallbackSpec, origin: CallbackOrigin): Promise<StartOutcome> {
    this.starts.push({ spec, origin });
    return this.startOutcome;
  }
  async get(callbackId: string) {
    return this.views.get(callbackId);
  }
  async list(query: ListQuery): Promise<callback.ListCallbacksResponse> {
    this.lists.push(query);
    return { callbacks: [view('cb-live')], nextPageToken: 'next' };
  }
  async cancel(callbackId: string, reason: string) {
    this.cancels.push({ callbackId, reason });
    return callbackId === 'cb-live' ? 'cancelled' : callbackId === 'cb-over' ? 'over' : 'not-found';
  }
  async settleResponse(): Promise<void> {}
  stats(): CallbackStats {
    return { active: 2, admitted: 7, refusedConcurrency: 1, refusedRate: 3 };
  }
}

const TOKENS = { reader: 'reader-8c1d2e3f4a5b6c7d', writer: 'writer-1a2b3c4d5e6f7a8b' };

let db: TestDatabase;
let pool: pg.Pool;
let store: EventStore;
let dir: string;
const core = new CallbacksDouble();
let grpc: CallbackGrpc;
let secured: CallbackGrpc;
let client: CallbackClient;
const clients: CallbackClient[] = [];

const connect = (address: string, token?: string) => {
  const c = createCallbackClient({ address, retry: NO_RETRIES, ...(token ? { token } : {}) });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 5 });
  pool.on('error', () => undefined); // DROP DATABASE ... WITH (FORCE) at the end
  store = createEventStore({ pool, codecs: callbackEventCodecs() });
  const common = {
    host: '127.0.0.1',
    port: 0,
    callbacks: core,
    store,
    databaseUrl: db.url,
    log,
    drainMs: 100,
  };
  grpc = await startCallbackGrpc({
    ...common,
    iifCounters: () => ({
      requests: 11,
      failed: 2,
      droppedUnknownPeer: 3,
      droppedMalformed: 4,
      retransmissions: 5,
      sent: 6,
      acknowledged: 7,
      abandoned: 8,
    }),
  });
  dir = mkdtempSync(join(tmpdir(), 'callback-grpc-'));
  const tokensFile = join(dir, 'tokens');
  // One file for every public port: CallControl's scopes are valid here too.
  writeFileSync(
    tokensFile,
    [
      `reader sha256:${tokenHash(TOKENS.reader)} callbacks:read,calls:read`,
      `writer sha256:${tokenHash(TOKENS.writer)} callbacks:write`,
    ].join('\n'),
  );
  secured = await startCallbackGrpc({ ...common, apiTokensFile: tokensFile });
  client = connect(grpc.address);
});

afterAll(async () => {
  clients.forEach((c) => c.close());
  await grpc?.close();
  await secured?.close();
  await pool?.end();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: { status: number; details: string }) => `${status[error.status]}: ${error.details}`,
  );

const request = (fields: CallbackRequestOf<'startCallback'> = {}): CallbackRequestOf<'startCallback'> => ({
  user1: '100',
  user2: '101',
  idempotencyKey: 'k1',
  ...fields,
});

describe('StartCallback', () => {
  it('hands the checked request to the core with its key, and answers its view', async () => {
    core.starts = [];
    const answer = await client.startCallback(
      request({ maxDurationS: 60, annId1: '00080002', annDigits2: '42', caller: '555', clientState: 'x' }),
    );
    expect(answer.callback).toMatchObject({
      callbackId: 'cb1-1',
      state: callback.CallbackState.CALLBACK_STATE_REQUESTED,
    });
    expect(core.starts).toEqual([
      {
        spec: {
          user1: '100',
          user2: '101',
          maxDurationS: 60,
          annId1: '00080002',
          annDigits2: '42',
          caller: '555',
          clientState: 'x',
        },
        origin: { kind: 'grpc', idempotencyKey: 'k1' },
      },
    ]);
  });

  it.each([
    ['no key', { idempotencyKey: '' }, 'INVALID_ARGUMENT: idempotency_key: required (1-128 characters)'],
    [
      'a key of 129',
      { idempotencyKey: 'k'.repeat(129) },
      'INVALID_ARGUMENT: idempotency_key: at most 128 characters, got 129',
    ],
    [
      'no user1',
      { user1: '' },
      'INVALID_ARGUMENT: user1: expected 1-31 characters of 0-9 A-Z a-z + * # . _ - (got "")',
    ],
    [
      'a user2 of 32',
      { user2: '1'.repeat(32) },
      `INVALID_ARGUMENT: user2: expected 1-31 characters of 0-9 A-Z a-z + * # . _ - (got "${'1'.repeat(32)}")`,
    ],
    [
      'a space in user1',
      { user1: '10 0' },
      'INVALID_ARGUMENT: user1: expected 1-31 characters of 0-9 A-Z a-z + * # . _ - (got "10 0")',
    ],
    [
      'ann_id1 of 4 digits',
      { annId1: '8002' },
      'INVALID_ARGUMENT: ann_id1: expected exactly 8 digits (got "8002")',
    ],
    [
      'a letter in ann_id2',
      { annId2: '0008000a' },
      'INVALID_ARGUMENT: ann_id2: expected exactly 8 digits (got "0008000a")',
    ],
    [
      '# in ann_digits2',
      { annDigits2: '12#' },
      'INVALID_ARGUMENT: ann_digits2: expected 1-31 digits 0-9 (got "12#")',
    ],
    [
      '32 digits',
      { annDigits2: '1'.repeat(32) },
      `INVALID_ARGUMENT: ann_digits2: expected 1-31 digits 0-9 (got "${'1'.repeat(32)}")`,
    ],
    [
      'client_state of 1026 bytes',
      { clientState: 'é'.repeat(513) },
      'INVALID_ARGUMENT: client_state: at most 1024 bytes, got 1026',
    ],
  ])('refuses %s before the core sees it', async (_label, fields, answer) => {
    core.starts = [];
    expect(await refusal(client.startCallback(request(fields)))).toBe(answer);
    expect(core.starts).toEqual([]);
  });

  it('takes the longest user, key and client state allowed', async () => {
    const user = '0aZ+*#._-'.padEnd(31, '9');
    const key = 'k'.repeat(128);
    await expect(
      client.startCallback(request({ user1: user, idempotencyKey: key, clientState: 'é'.repeat(512) })),
    ).resolves.toBeDefined();
    expect(core.starts.at(-1)?.spec.user1).toBe(user);
  });

  it.each<[RefusalReason, string]>([
    ['invalid', 'INVALID_ARGUMENT'],
    ['unknown-user', 'NOT_FOUND'],
    ['unknown-announcement', 'NOT_FOUND'],
    ['duplicate', 'ALREADY_EXISTS'],
    ['concurrency', 'RESOURCE_EXHAUSTED'],
    ['rate', 'RESOURCE_EXHAUSTED'],
    ['unavailable', 'UNAVAILABLE'],
  ])("answers the core's refusal %s as %s with its message", async (reason, code) => {
    core.startOutcome = { ok: false, reason, message: `refused: ${reason} (the limit)` };
    try {
      expect(await refusal(client.startCallback(request()))).toBe(`${code}: refused: ${reason} (the limit)`);
    } finally {
      core.startOutcome = { ok: true, view: view('cb1-1'), created: true };
    }
  });
});

describe('GetCallback, ListCallbacks, CancelCallback, GetCallbackStats', () => {
  it('gets a callback, NOT_FOUND for an unknown one, INVALID_ARGUMENT without an id', async () => {
    expect((await client.getCallback({ callbackId: 'cb-live' })).callback?.callbackId).toBe('cb-live');
    expect(await refusal(client.getCallback({ callbackId: 'cb-none' }))).toBe(
      'NOT_FOUND: callback cb-none does not exist',
    );
    expect(await refusal(client.getCallback({}))).toBe('INVALID_ARGUMENT: callback_id: required');
  });

  it('pages by 100 unless told, up to 500', async () => {
    core.lists = [];
    const page = await client.listCallbacks({ activeOnly: true, pageToken: 't1' });
    expect(page.nextPageToken).toBe('next');
    await client.listCallbacks({ pageSize: 500 });
    expect(core.lists).toEqual([
      { pageSize: 100, pageToken: 't1', activeOnly: true },
      { pageSize: 500, pageToken: '', activeOnly: false },
    ]);
    expect(await refusal(client.listCallbacks({ pageSize: 501 }))).toBe(
      'INVALID_ARGUMENT: page_size: at most 500 (got 501)',
    );
    expect(core.lists).toHaveLength(2);
  });

  it('cancels, is OK for a callback already over, NOT_FOUND for an unknown one', async () => {
    core.cancels = [];
    await expect(client.cancelCallback({ callbackId: 'cb-live', reason: 'operator' })).resolves.toEqual({});
    await expect(client.cancelCallback({ callbackId: 'cb-over' })).resolves.toEqual({});
    expect(await refusal(client.cancelCallback({ callbackId: 'cb-none' }))).toBe(
      'NOT_FOUND: callback cb-none does not exist',
    );
    expect(core.cancels[0]).toEqual({ callbackId: 'cb-live', reason: 'operator' });
  });

  it("adds the IIF's counters to the core's", async () => {
    expect(await client.getCallbackStats({})).toEqual({
      active: 2,
      admitted: 7,
      refusedConcurrency: 1,
      refusedRate: 3,
      iifRequests: 11,
      iifFailed: 2,
      iifDroppedUnknownPeer: 3,
      iifDroppedMalformed: 4,
      iifRetransmissions: 5,
      iifResponsesSent: 6,
      iifResponsesAcknowledged: 7,
      iifResponsesAbandoned: 8,
    });
  });
});

describe('WatchCallbackEvents', () => {
  const event = (type: string, data: object): NewEvent => ({ eventId: randomUUID(), type, data });
  const requested = (callbackId: string) =>
    event('CallbackRequested', { callbackId, user1: '100', user2: '101', maxDurationS: 60 });
  const called = (callbackId: string) =>
    event('CallbackUser1Called', { callbackId, callId: `call-of-${callbackId}`, legId: 'l1' });

  /** Reads `count` messages, then closes the feed. */
  async function take<M>(feed: EventFeed<M & { envelope?: { globalPosition: number } }>, count: number) {
    const got: M[] = [];
    for await (const message of feed) {
      got.push(message);
      if (got.length === count) break;
    }
    feed.close();
    return got;
  }

  const summary = (m: callback.WatchCallbackEventsResponse) => [
    m.envelope?.streamId,
    m.envelope?.type,
    m.event?.$case,
  ];

  it("delivers one callback's stored events then live ones, in log order, decoded by type", async () => {
    const a = `cbwatch${Date.now()}-1`;
    await store.append(`callback-${a}`, 'no-stream', [requested(a)]);
    await store.append('callback-other-1', 'no-stream', [requested('other-1')]);
    await store.append(`callback-${a}`, 1, [called(a)]);
    const feed = client.watchCallbackEvents({ callbackId: a });
    const messages = feed[Symbol.asyncIterator]();
    const next = async () => (await messages.next()).value as callback.WatchCallbackEventsResponse;
    const got = [await next(), await next()];
    // Live: appended once the stored ones arrived, so the watch is past the log's end.
    await store.append(`callback-${a}`, 2, [
      event('CallbackBridged', { callbackId: a, callId: `call-of-${a}`, bridgeId: 'b1' }),
    ]);
    await store.append(`callback-${a}`, 3, [
      event('CallbackEnded', {
        callbackId: a,
        callId: `call-of-${a}`,
        cause: callbackEvents.CallbackEndCause.CALLBACK_END_CAUSE_MAX_DURATION,
        realDurationS: 60,
      }),
    ]);
    got.push(await next(), await next());
    feed.close();
    expect(got.map(summary)).toEqual([
      [`callback-${a}`, 'CallbackRequested', 'requested'],
      [`callback-${a}`, 'CallbackUser1Called', 'user1Called'],
      [`callback-${a}`, 'CallbackBridged', 'bridged'],
      [`callback-${a}`, 'CallbackEnded', 'ended'],
    ]);
    const positions = got.map((m) => m.envelope!.globalPosition);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(got[3]!.event).toEqual({
      $case: 'ended',
      ended: expect.objectContaining({
        realDurationS: 60,
        cause: callbackEvents.CallbackEndCause.CALLBACK_END_CAUSE_MAX_DURATION,
      }) as unknown,
    });
    expect(got[0]!.envelope?.payloadType).toBe('callctl.events.v1.CallbackRequested');
  });

  it('starts at from_position, and leaves out the idempotency claims', async () => {
    const b = `cbfrom${Date.now()}-1`;
    const claim = await store.append(`callbackkey-${randomBytes(20).toString('hex')}`, 'no-stream', [
      event('CallbackKeyClaimed', { key: 'grpc:k', callbackId: b, requestDigest: 'd' }),
    ]);
    await store.append(`callback-${b}`, 'no-stream', [requested(b)]);
    const second = await store.append(`callback-${b}`, 1, [called(b)]);
    const all = await take(client.watchCallbackEvents({ fromPosition: claim.positions[0]! }), 2);
    expect(all.map(summary)).toEqual([
      [`callback-${b}`, 'CallbackRequested', 'requested'],
      [`callback-${b}`, 'CallbackUser1Called', 'user1Called'],
    ]);
    const fromSecond = await take(client.watchCallbackEvents({ fromPosition: second.positions[0]! }), 1);
    expect(fromSecond.map(summary)).toEqual([[`callback-${b}`, 'CallbackUser1Called', 'user1Called']]);
  });
});

describe('API_AUTH=token', () => {
  it('refuses a call without credentials, and one without the scope', async () => {
    const anonymous = connect(secured.address);
    expect(await refusal(anonymous.getCallbackStats({}))).toMatch(/^UNAUTHENTICATED: missing credentials/);
    const reader = connect(secured.address, TOKENS.reader);
    expect(await refusal(reader.startCallback(request()))).toBe(
      'PERMISSION_DENIED: /callctl.v1.Callback/StartCallback needs scope callbacks:write, which "reader" does not have',
    );
    await expect(reader.getCallback({ callbackId: 'cb-live' })).resolves.toBeDefined();
    const writer = connect(secured.address, TOKENS.writer);
    await expect(writer.cancelCallback({ callbackId: 'cb-live' })).resolves.toEqual({});
    expect(await refusal(writer.listCallbacks({}))).toMatch(/needs scope callbacks:read/);
  });
});
