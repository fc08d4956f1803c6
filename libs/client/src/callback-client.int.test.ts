// The Callback client against a real grpc-js server in this test, scripted per call: safe retries (the
// reads, CancelCallback, StartCallback with its key), what is not retried (RESOURCE_EXHAUSTED), typed
// errors naming the RPC, the token, and WatchCallbackEvents resumed after a drop from the last position + 1.
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { GrpcStatusError } from '@callctl/errors/grpc';
import { callback } from '@callctl/proto';
import { createCallbackClient, type CallbackClient } from './callback-client';

type Unary = (call: ServerUnaryCall<unknown, unknown>, answer: sendUnaryData<unknown>) => void;
type Watch = (
  stream: ServerWritableStream<callback.WatchCallbackEventsRequest, callback.WatchCallbackEventsResponse>,
) => void;

const refuse = (code: status, details: string) => ({ code, details });
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

let server: Server;
let client: CallbackClient;
/** Answers per method, used in order (the last one stays). */
const scripts = new Map<string, Unary[]>();
const watches: Watch[] = [];
const calls: Array<{ method: string; request: unknown; authorization: unknown }> = [];

beforeAll(async () => {
  const implementation: Record<string, unknown> = {};
  for (const method of Object.keys(callback.CallbackService)) {
    implementation[method] =
      method === 'watchCallbackEvents'
        ? (stream: Parameters<Watch>[0]) => {
            calls.push({ method, request: stream.request, authorization: undefined });
            watches.shift()?.(stream);
          }
        : (call: ServerUnaryCall<unknown, unknown>, answer: sendUnaryData<unknown>) => {
            calls.push({
              method,
              request: call.request,
              authorization: call.metadata.get('authorization')[0],
            });
            const script = scripts.get(method) ?? [];
            const handler = script.length > 1 ? script.shift() : script[0];
            if (handler) handler(call, answer);
            else answer(refuse(status.UNIMPLEMENTED, `${method} not scripted`));
          };
  }
  server = new Server();
  server.addService(callback.CallbackService, implementation as UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  client = createCallbackClient({
    address: `127.0.0.1:${port}`,
    token: 'tok-1',
    retry: { initialBackoffMs: 5, maxBackoffMs: 10 },
  });
});
afterAll(() => {
  client.close();
  server.forceShutdown();
});
beforeEach(() => {
  scripts.clear();
  calls.length = 0;
});

const unavailable: Unary = (_call, answer) => answer(refuse(status.UNAVAILABLE, 'restarting'));
const answering =
  (response: unknown): Unary =>
  (_call, answer) =>
    answer(null, response);

describe('Callback client', () => {
  it('sends StartCallback again after UNAVAILABLE (its key makes it safe), with the token', async () => {
    scripts.set('startCallback', [unavailable, answering({ callback: view })]);
    const answer = await client.startCallback({ user1: '100', user2: '101', idempotencyKey: 'k1' });
    expect(answer.callback?.callbackId).toBe('cb1-1');
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({
      method: 'startCallback',
      request: { user1: '100', user2: '101', idempotencyKey: 'k1', maxDurationS: 0, annId1: '' },
      authorization: 'Bearer tok-1',
    });
  });

  it('does not retry RESOURCE_EXHAUSTED, and rejects with a GrpcStatusError naming the RPC', async () => {
    scripts.set('startCallback', [
      (_call, answer) => answer(refuse(status.RESOURCE_EXHAUSTED, 'CALLBACK_MAX_PER_SECOND (50) exceeded')),
    ]);
    const refused = client.startCallback({ user1: '100', user2: '101', idempotencyKey: 'k2' });
    await expect(refused).rejects.toBeInstanceOf(GrpcStatusError);
    await expect(refused).rejects.toMatchObject({
      status: status.RESOURCE_EXHAUSTED,
      details: 'CALLBACK_MAX_PER_SECOND (50) exceeded',
      context: { rpc: 'StartCallback' },
    });
    expect(calls).toHaveLength(1);
  });

  it('retries the reads and CancelCallback, and passes NOT_FOUND through', async () => {
    scripts.set('getCallback', [unavailable, answering({ callback: view })]);
    scripts.set('listCallbacks', [unavailable, answering({ callbacks: [view], nextPageToken: '' })]);
    scripts.set('cancelCallback', [unavailable, answering({})]);
    scripts.set('getCallbackStats', [
      unavailable,
      answering(callback.GetCallbackStatsResponse.fromPartial({ active: 3 })),
    ]);
    await expect(client.getCallback({ callbackId: 'cb1-1' })).resolves.toMatchObject({ callback: view });
    await expect(client.listCallbacks({ activeOnly: true })).resolves.toMatchObject({ callbacks: [view] });
    await expect(client.cancelCallback({ callbackId: 'cb1-1' })).resolves.toEqual({});
    await expect(client.getCallbackStats({})).resolves.toMatchObject({ active: 3 });
    expect(calls.map((c) => c.method)).toEqual([
      'getCallback',
      'getCallback',
      'listCallbacks',
      'listCallbacks',
      'cancelCallback',
      'cancelCallback',
      'getCallbackStats',
      'getCallbackStats',
    ]);
    scripts.set('getCallback', [
      (_call, answer) => answer(refuse(status.NOT_FOUND, 'callback cb9 does not exist')),
    ]);
    await expect(client.getCallback({ callbackId: 'cb9' })).rejects.toMatchObject({
      kind: 'not_found',
      details: 'callback cb9 does not exist',
    });
  });

  it('watches from a position, and resumes after a drop from the last position + 1 with the same filter', async () => {
    watches.push((stream) => {
      stream.write(event(4));
      stream.write(event(5));
      setTimeout(() => stream.emit('error', refuse(status.UNAVAILABLE, 'server restarting')), 20);
    });
    watches.push((stream) => {
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
    expect(calls.map((c) => c.request)).toEqual([
      { callbackId: 'cb1-1', fromPosition: 4 },
      { callbackId: 'cb1-1', fromPosition: 6 },
    ]);
    expect(await feed.closed()).toBeUndefined();
  });

  it('ends the watch with the error when nothing came before the drop', async () => {
    watches.push((stream) => stream.emit('error', refuse(status.UNAVAILABLE, 'down before any event')));
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
