// The built `callctl callback ...` commands, run as processes, against a real gRPC server in this test that
// serves callctl.v1.Callback from a script: the requests they send, at the address they are given, with the
// token; what they print; a refusal's exit code; a watch that prints the stored and live events.
import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { callback, callbackEvents } from '@callctl/proto';
import { envelopeAt } from './support/events.js';
import { runCallctl } from './support/callctl-process.js';

const received: Array<{ method: string; request: unknown; authorization: unknown }> = [];
let server: Server;
let address: string;

const view = callback.CallbackView.fromPartial({
  callbackId: 'cb1-1',
  state: callback.CallbackState.CALLBACK_STATE_REQUESTED,
  user1: '100',
  user2: '101',
  origin: { kind: callbackEvents.CallbackOriginKind.CALLBACK_ORIGIN_KIND_GRPC },
  requestedAt: new Date('2026-11-23T10:15:00.000Z'),
  version: 1,
});

const ANSWERS: Record<string, (request: never) => unknown> = {
  startCallback: () => ({ callback: view }),
  getCallback: (r: callback.GetCallbackRequest) => {
    if (r.callbackId !== 'cb1-1')
      throw { code: status.NOT_FOUND, details: `callback ${r.callbackId} does not exist` };
    return { callback: view };
  },
  listCallbacks: () => ({ callbacks: [view], nextPageToken: '' }),
  cancelCallback: () => ({}),
  getCallbackStats: () => callback.GetCallbackStatsResponse.fromPartial({ active: 1, admitted: 1 }),
};

beforeAll(async () => {
  const implementation: Record<string, unknown> = {};
  for (const [method, answer] of Object.entries(ANSWERS))
    implementation[method] = (call: ServerUnaryCall<never, unknown>, reply: sendUnaryData<unknown>) => {
      received.push({ method, request: call.request, authorization: call.metadata.get('authorization')[0] });
      try {
        reply(null, answer(call.request));
      } catch (refusal) {
        reply(refusal as { code: status; details: string });
      }
    };
  implementation.watchCallbackEvents = (
    stream: ServerWritableStream<callback.WatchCallbackEventsRequest, callback.WatchCallbackEventsResponse>,
  ) => {
    received.push({ method: 'watchCallbackEvents', request: stream.request, authorization: undefined });
    const at = (type: string, position: number) => ({
      ...envelopeAt(type, position),
      streamId: 'callback-cb1-1',
    });
    stream.write({
      envelope: at('CallbackUser1Ringing', 7),
      event: { $case: 'user1Ringing', user1Ringing: { callbackId: 'cb1-1', callId: 'c1', legId: 'l1' } },
    });
    stream.write({
      envelope: at('CallbackEnded', 8),
      event: {
        $case: 'ended',
        ended: callbackEvents.CallbackEnded.fromPartial({
          callbackId: 'cb1-1',
          cause: callbackEvents.CallbackEndCause.CALLBACK_END_CAUSE_USER1_BUSY,
          sipStatus: 486,
        }),
      },
    });
    stream.end();
  };
  server = new Server();
  server.addService(callback.CallbackService, implementation as UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  address = `127.0.0.1:${port}`;
});
afterAll(() => server.forceShutdown());
beforeEach(() => {
  received.length = 0;
});

describe('callctl callback', () => {
  it('starts a callback at --callback-address with the token, and prints its id and state', async () => {
    const result = await runCallctl(
      ['callback', 'start', '100', '101', '--duration', '60', '--key', 'k1', '--callback-address', address],
      { CALLCTL_TOKEN: 'tok-9' },
    );
    expect(result).toMatchObject({ code: 0, stdout: 'callback cb1-1 requested\n' });
    expect(received).toEqual([
      {
        method: 'startCallback',
        request: expect.objectContaining({
          user1: '100',
          user2: '101',
          maxDurationS: 60,
          idempotencyKey: 'k1',
        }) as unknown,
        authorization: 'Bearer tok-9',
      },
    ]);
  });

  it('finds the service through CALLCTL_CALLBACK_ADDRESS; a refusal prints the code and exits 1', async () => {
    const env = { CALLCTL_CALLBACK_ADDRESS: address };
    expect(await runCallctl(['callback', 'get', 'cb1-1'], env)).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('callback cb1-1 requested user1=100 user2=101 origin=grpc') as unknown,
    });
    expect(await runCallctl(['callback', 'get', 'cb9'], env)).toMatchObject({
      code: 1,
      stderr: 'error: NOT_FOUND: callback cb9 does not exist\n',
    });
    expect(await runCallctl(['callback', 'cancel', 'cb1-1', '--reason', 'test'], env)).toMatchObject({
      code: 0,
      stdout: 'ok\n',
    });
    expect(received.at(-1)).toMatchObject({
      method: 'cancelCallback',
      request: { callbackId: 'cb1-1', reason: 'test' },
    });
  });

  it("prints one callback's events as they come", async () => {
    const result = await runCallctl(['callback', 'watch', 'cb1-1', '--callback-address', address]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      '10:15:02.120 #7 cb1-1 CallbackUser1Ringing call=c1 leg=l1',
      '10:15:02.120 #8 cb1-1 CallbackEnded cause=user1-busy sip=486 real-duration=0s',
      '',
    ]);
    expect(received).toEqual([
      {
        method: 'watchCallbackEvents',
        request: { callbackId: 'cb1-1', fromPosition: 0 },
        authorization: undefined,
      },
    ]);
  });
});
