// The Callback client against a real grpc-js server in this test, scripted per call: safe retries (the
// reads, CancelCallback, StartCallback with its key), what is not retried (RESOURCE_EXHAUSTED), typed
// errors naming the RPC, the token, and WatchCallbackEvents resumed after a drop from the last position + 1.
import { status } from '@grpc/grpc-js';
import { GrpcStatusError } from '@callctl/errors/grpc';
import { callback } from '@callctl/proto';
import {
  inTurn,
  refuse,
  startScriptedServer,
  type ScriptedServer,
  type Unary,
} from '../test/scripted-server';
import { createCallbackClient, type CallbackClient } from './callback-client';

const view = callback.CallbackView.fromPartial({
  callbackId: 'cb1-1',
  state: callback.CallbackState.CALLBACK_STATE_REQUESTED,
});
const event = (position: number): callback.WatchCallbackEventsResponse => ({
  envelope: {
    eventId: `e${position}`,
    streamId: 'callback-cb1-1',
    streamVersion: position,
    globalPosition: position,
    type: 'CallbackUser1Ringing',
    payloadType: 'callctl.events.v1.CallbackUser1Ringing',
    payload: Buffer.alloc(0),
    metadata: undefined,
    recordedAt: new Date(0),
    schemaVersion: 1,
  },
  event: { $case: 'user1Ringing', user1Ringing: { callbackId: 'cb1-1', callId: 'c1', legId: 'l1' } },
});

let server: ScriptedServer<callback.WatchCallbackEventsRequest>;
let client: CallbackClient;

beforeAll(async () => {
  server = await startScriptedServer(callback.CallbackService);
  client = createCallbackClient({
    address: server.address,
    token: 'tok-1',
    retry: { initialBackoffMs: 5, maxBackoffMs: 10 },
  });
});
afterAll(() => {
  client.close();
  server.stop();
});
beforeEach(() => server.reset());

const unavailable: Unary = (_call, answer) => answer(refuse(status.UNAVAILABLE, 'restarting'));
const answering =
  (response: unknown): Unary =>
  (_call, answer) =>
    answer(null, response);

describe('Callback client', () => {
  it('sends StartCallback again after UNAVAILABLE (its key makes it safe), with the token', async () => {
    server.handlers.set('startCallback', inTurn(unavailable, answering({ callback: view })));
    const answer = await client.startCallback({ user1: '100', user2: '101', idempotencyKey: 'k1' });
    expect(answer.callback?.callbackId).toBe('cb1-1');
    expect(server.calls).toHaveLength(2);
    expect(server.calls[1]).toMatchObject({
      method: 'startCallback',
      request: { user1: '100', user2: '101', idempotencyKey: 'k1', maxDurationS: 0, annId1: '' },
      metadata: expect.objectContaining({ authorization: 'Bearer tok-1' }) as unknown,
    });
  });

  it('does not retry RESOURCE_EXHAUSTED, and rejects with a GrpcStatusError naming the RPC', async () => {
    server.handlers.set('startCallback', (_call, answer) =>
      answer(refuse(status.RESOURCE_EXHAUSTED, 'CALLBACK_MAX_PER_SECOND (50) exceeded')),
    );
    const refused = client.startCallback({ user1: '100', user2: '101', idempotencyKey: 'k2' });
    await expect(refused).rejects.toBeInstanceOf(GrpcStatusError);
    await expect(refused).rejects.toMatchObject({
      status: status.RESOURCE_EXHAUSTED,
      details: 'CALLBACK_MAX_PER_SECOND (50) exceeded',
      context: { rpc: 'StartCallback' },
    });
    expect(server.calls).toHaveLength(1);
  });

  it('retries the reads and CancelCallback, and passes NOT_FOUND through', async () => {
    server.handlers.set('getCallback', inTurn(unavailable, answering({ callback: view })));
    server.handlers.set(
      'listCallbacks',
      inTurn(unavailable, answering({ callbacks: [view], nextPageToken: '' })),
    );
    server.handlers.set('cancelCallback', inTurn(unavailable, answering({})));
    server.handlers.set(
      'getCallbackStats',
      inTurn(unavailable, answering(callback.GetCallbackStatsResponse.fromPartial({ active: 3 }))),
    );
    await expect(client.getCallback({ callbackId: 'cb1-1' })).resolves.toMatchObject({ callback: view });
    await expect(client.listCallbacks({ activeOnly: true })).resolves.toMatchObject({ callbacks: [view] });
    await expect(client.cancelCallback({ callbackId: 'cb1-1' })).resolves.toEqual({});
    await expect(client.getCallbackStats({})).resolves.toMatchObject({ active: 3 });
    expect(server.calls.map((c) => c.method)).toEqual([
      'getCallback',
      'getCallback',
      'listCallbacks',
      'listCallbacks',
      'cancelCallback',
      'cancelCallback',
      'getCallbackStats',
      'getCallbackStats',
    ]);
    server.handlers.set('getCallback', (_call, answer) =>
      answer(refuse(status.NOT_FOUND, 'callback cb9 does not exist')),
    );
    await expect(client.getCallback({ callbackId: 'cb9' })).rejects.toMatchObject({
      kind: 'not_found',
      details: 'callback cb9 does not exist',
    });
  });

  it('watches from a position, and resumes after a drop from the last position + 1 with the same filter', async () => {
    server.streams.push((stream) => {
      stream.write(event(4));
      stream.write(event(5));
      setTimeout(() => stream.emit('error', refuse(status.UNAVAILABLE, 'server restarting')), 20);
    });
    server.streams.push((stream) => {
      stream.write(event(6));
      stream.end();
    });
    const resumed: Array<[string, number]> = [];
    const feed = client.watchCallbackEvents(
      { callbackId: 'cb1-1', fromPosition: 4 },
      { onResume: (error, from) => resumed.push([error.details, from]) },
    );
    const got: callback.WatchCallbackEventsResponse[] = [];
    for await (const message of feed) got.push(message);
    expect(got.map((m) => m.envelope?.globalPosition)).toEqual([4, 5, 6]);
    expect(got[0]?.event).toEqual({
      $case: 'user1Ringing',
      user1Ringing: { callbackId: 'cb1-1', callId: 'c1', legId: 'l1' },
    });
    expect(resumed).toEqual([['server restarting', 6]]);
    expect(server.calls.map((c) => c.request)).toEqual([
      { callbackId: 'cb1-1', fromPosition: 4 },
      { callbackId: 'cb1-1', fromPosition: 6 },
    ]);
    expect(await feed.closed()).toBeUndefined();
  });

  it('ends the watch with the error when nothing came before the drop', async () => {
    server.streams.push((stream) =>
      stream.emit('error', refuse(status.UNAVAILABLE, 'down before any event')),
    );
    const feed = client.watchCallbackEvents({});
    const reading = (async () => {
      for await (const message of feed) void message;
    })();
    await expect(reading).rejects.toMatchObject({
      kind: 'unavailable',
      details: 'down before any event',
      context: { rpc: 'WatchCallbackEvents' },
    });
  });
});
