// The client against a real grpc-js server in this test whose handlers each case scripts.
import { status } from '@grpc/grpc-js';
import { callControl } from '@callctl/proto';
import { GrpcStatusError } from '@callctl/errors/grpc';
import { createCallControlClient, type CallControlClient } from './call-control-client';
import type { EventFeed } from './event-feed';
import { refuse, startScriptedServer, type ScriptedServer } from '../test/scripted-server';

const event = (position: number): callControl.WatchEventsResponse => ({
  envelope: {
    eventId: `e${position}`,
    streamId: 'call-c1',
    streamVersion: position,
    globalPosition: position,
    type: 'LegAnswered',
    payloadType: 'callctl.events.v1.LegAnswered',
    payload: Buffer.alloc(0),
    metadata: undefined,
    recordedAt: new Date(0),
    schemaVersion: 1,
  },
  event: { $case: 'legAnswered', legAnswered: { callId: 'c1', legId: `l${position}`, clientState: '' } },
});
const collect = async (feed: EventFeed) => {
  const positions: number[] = [];
  for await (const message of feed) positions.push(message.envelope!.globalPosition);
  return positions;
};

describe('CallControl client', () => {
  let server: ScriptedServer<callControl.WatchEventsRequest>;
  let client: CallControlClient;

  beforeAll(async () => {
    server = await startScriptedServer(callControl.CallControlService);
    client = createCallControlClient({
      address: server.address,
      retry: { initialBackoffMs: 10, maxBackoffMs: 20 },
    });
  });
  afterAll(() => {
    client.close();
    server.stop();
  });
  beforeEach(() => server.reset());
  const attempts = (method: string) => server.calls.filter((c) => c.method === method).length;

  it('resolves with the reply and sends the metadata given for the call', async () => {
    server.handlers.set('createCall', (_call, callback) => callback(null, { callId: 'c1', legId: 'l1' }));
    const request = {
      toUri: 'sip:bob@127.0.0.1',
      fromUri: 'sip:app@127.0.0.1',
      ringTimeoutMs: 0,
      maxDurationMs: 0,
      clientState: '',
      idempotencyKey: 'k1',
    };
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await expect(client.createCall(request, { metadata: { traceparent } })).resolves.toEqual({
      callId: 'c1',
      legId: 'l1',
    });
    expect(server.calls).toEqual([
      { method: 'createCall', request, metadata: expect.objectContaining({ traceparent }) as unknown },
    ]);
  });

  it('maps a refusal to a typed error with the status, its name and the details', async () => {
    server.handlers.set('answerLeg', (_call, callback) =>
      callback(refuse(status.FAILED_PRECONDITION, 'leg l1 is answered')),
    );
    const refusal = client.answerLeg({ callId: 'c1', legId: 'l1', clientState: '' });
    await expect(refusal).rejects.toBeInstanceOf(GrpcStatusError);
    await expect(refusal).rejects.toMatchObject({
      kind: 'failed_precondition',
      code: 'FAILED_PRECONDITION',
      status: status.FAILED_PRECONDITION,
      details: 'leg l1 is answered',
      context: { rpc: 'AnswerLeg' },
    });
  });

  it('retries a read on UNAVAILABLE until it is answered', async () => {
    let failures = 2;
    server.handlers.set('getCall', (_call, callback) =>
      failures-- > 0
        ? callback(refuse(status.UNAVAILABLE, 'restarting'))
        : callback(null, { call: callControl.Call.fromPartial({ callId: 'c1' }) }),
    );
    await expect(client.getCall({ callId: 'c1' })).resolves.toMatchObject({ call: { callId: 'c1' } });
    expect(attempts('getCall')).toBe(3);
  });

  it('retries a keyed command, and gives up after maxAttempts with the last status', async () => {
    server.handlers.set('bridgeLegs', (_call, callback) =>
      callback(refuse(status.UNAVAILABLE, 'sip-edge down')),
    );
    await expect(
      client.bridgeLegs({ callId: 'c1', legAId: 'a', legBId: 'b', idempotencyKey: 'k' }),
    ).rejects.toMatchObject({ kind: 'unavailable', details: 'sip-edge down' });
    expect(attempts('bridgeLegs')).toBe(4);
  });

  it('never repeats a command without a key, nor any call on another status', async () => {
    server.handlers.set('answerLeg', (_call, callback) =>
      callback(refuse(status.UNAVAILABLE, 'sip-edge down')),
    );
    server.handlers.set('getCall', (_call, callback) => callback(refuse(status.INTERNAL, 'internal error')));
    await expect(client.answerLeg({ callId: 'c1', legId: 'l1', clientState: '' })).rejects.toMatchObject({
      kind: 'unavailable',
    });
    await expect(client.getCall({ callId: 'c1' })).rejects.toMatchObject({ kind: 'internal' });
    expect([attempts('answerLeg'), attempts('getCall')]).toEqual([1, 1]);
  });

  it('gives up at the deadline of the call, retries included', async () => {
    server.handlers.set('listCalls', () => undefined); // never answers
    const started = Date.now();
    await expect(client.listCalls({ pageSize: 0, pageToken: '' }, { deadlineMs: 200 })).rejects.toMatchObject(
      {
        kind: 'deadline_exceeded',
        status: status.DEADLINE_EXCEEDED,
      },
    );
    expect(Date.now() - started).toBeLessThan(2000);
    expect(attempts('listCalls')).toBe(1);
  });

  it('cancels a call when its signal aborts', async () => {
    server.handlers.set('getCall', () => undefined); // never answers
    const abort = new AbortController();
    const pending = client.getCall({ callId: 'c1' }, { signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await expect(pending).rejects.toMatchObject({ status: status.CANCELLED, kind: 'unavailable' });
    expect(attempts('getCall')).toBe(1);
  });

  it('streams events and resumes after a drop from the last position received + 1', async () => {
    server.streams.push(
      (stream) => {
        stream.write(event(10));
        stream.emit('error', refuse(status.UNAVAILABLE, 'server restarting'));
      },
      (stream) => {
        stream.write(event(11));
        stream.end();
      },
    );
    const resumed: Array<[string, number]> = [];
    const feed = client.watchEvents(
      { callId: '', fromPosition: 3 },
      { onResume: (error, from) => resumed.push([error.details, from]) },
    );
    expect(await collect(feed)).toEqual([10, 11]);
    expect(await feed.closed()).toBeUndefined();
    expect(resumed).toEqual([['server restarting', 11]]);
    expect(server.calls.map((c) => c.request)).toEqual([
      { callId: '', fromPosition: 3 },
      { callId: '', fromPosition: 11 },
    ]);
  });

  it('ends the feed with the error when it cannot resume', async () => {
    server.streams.push((stream) =>
      stream.emit('error', refuse(status.UNAVAILABLE, 'down before any event')),
    );
    const feed = client.watchEvents({ callId: 'c1', fromPosition: 0 });
    await expect(collect(feed)).rejects.toMatchObject({
      kind: 'unavailable',
      details: 'down before any event',
    });
    expect(await feed.closed()).toBeInstanceOf(GrpcStatusError);
  });

  it('ends the feed without an error on close()', async () => {
    server.streams.push((stream) => stream.write(event(1)));
    const feed = client.watchEvents({ callId: '', fromPosition: 0 });
    const positions: number[] = [];
    for await (const message of feed) {
      positions.push(message.envelope!.globalPosition);
      feed.close();
    }
    expect(positions).toEqual([1]);
    expect(await feed.closed()).toBeUndefined();
  });
});
