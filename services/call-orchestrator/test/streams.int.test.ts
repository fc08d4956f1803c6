// Media streams through the public API against the orchestrator wired in-process, with real PostgreSQL and
// NATS, the recording sip-edge for the SIP side and a stand-in of the stream gateway speaking its real gRPC
// contract (and publishing its facts): what the gateway is asked, in which order, and what is recorded.
// The WebSocket side is the stream gateway's own tests' (services/stream-gateway).
import { status } from '@grpc/grpc-js';
import { createLogger } from '@callctl/logging';
import { callEvents, type callControl } from '@callctl/proto';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { callStreamId, createEventStore } from '@callctl/eventstore';
import { startNatsServer, waitFor, type NatsServerFixture } from '@callctl/testing';
import { startCallOrchestrator, type RunningCallOrchestrator } from '../src/call-orchestrator.js';
import { refused } from './support/call-control-client.js';
import { decoded, startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';
import { CLOSED_COUNTERS, StreamGatewayStandIn } from './support/stream-gateway-stand-in.js';

const { StreamStopReason, StreamEncoding, StreamTracks, EndCause } = callEvents;
const URL = 'wss://bot.example.com/media?tenant=7';
const log = createLogger({ service: 'streams-test', level: 'silent' });

describe('media streams (StartStream, StopStream, PauseStream, ResumeStream)', () => {
  let nats: NatsServerFixture;
  let nc: NatsConnection;
  let h: Harness;
  let gateway: StreamGatewayStandIn;
  let next: RunningCallOrchestrator | undefined;
  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connectBus({ servers: nats.url, name: 'stream-gateway-stand-in' });
    gateway = await StreamGatewayStandIn.start(nc, log);
    h = await startHarness({
      nats,
      orchestrator: { streamGateway: { address: gateway.address, timeoutMs: 2000 } },
    });
  });
  afterAll(async () => {
    await next?.close();
    await h.stop();
    await gateway.stop();
    await nc.drain().catch(() => nc.close());
    await nats.stop();
  });

  const until = (callId: string, type: string, count = 1) => h.until(callId, type, count);
  const start = (callId: string, more: Partial<callControl.StartStreamRequest> = {}) =>
    h.client.startStream({ callId, url: URL, ...more });

  it('opens the stream at the gateway before recording it, then records StreamStarted from its fact', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    const { streamId } = await start(callId, {
      authorization: 'Bearer secret-token',
      customParameters: { agent: '42' },
      idempotencyKey: 'str-1',
      clientState: 'cs-stream',
    });
    expect(streamId).toMatch(/^str-[0-9a-f]{32}$/);
    expect(gateway.received('openStream', streamId)).toEqual([
      {
        streamId,
        callId,
        url: URL,
        authorization: 'Bearer secret-token',
        tracks: StreamTracks.STREAM_TRACKS_PER_PARTICIPANT,
        encoding: StreamEncoding.STREAM_ENCODING_PCMU,
        sampleRate: 8000,
        bidirectional: false,
        customParameters: { agent: '42' },
        participants: [
          {
            legId,
            role: 'caller',
            fromUri: 'sip:caller@127.0.0.1',
            toUri: 'sip:ivr@127.0.0.1',
            media: { sessionId: expect.any(String), tag: expect.any(String) },
            held: false,
          },
        ],
        context: { callId, from: 'sip:caller@127.0.0.1', to: 'sip:ivr@127.0.0.1', clientState: 'cs-stream' },
      },
    ]);
    // The same key answers the same stream and opens nothing again.
    const again = {
      customParameters: { agent: '42' },
      idempotencyKey: 'str-1',
      authorization: 'Bearer other',
    };
    expect((await start(callId, again)).streamId).toBe(streamId);
    expect(gateway.received('openStream', streamId)).toHaveLength(1);
    const events = await until(callId, 'StreamStarted');
    expect(typesOf(events).slice(-2)).toEqual(['StreamRequested', 'StreamStarted']);
    const [requested] = decoded(events, 'StreamRequested', callEvents.StreamRequested);
    expect(requested).toMatchObject({
      streamId,
      legIds: [legId],
      legId: '',
      url: URL,
      customParameters: { agent: '42' },
      idempotencyKey: 'str-1',
      clientState: 'cs-stream',
    });
    expect(JSON.stringify(events)).not.toContain('secret-token');
  });

  it("refuses bad input and the gateway's refusals, recording nothing", async () => {
    const { callId } = await h.answeredInboundCall();
    const before = (await h.stream(callId)).length;
    const opens = gateway.received('openStream').length;
    expect((await refused(start(callId, { url: 'ftp://x.example.com/a' }))).code).toBe('INVALID_ARGUMENT');
    expect((await refused(start(callId, { url: '' }))).code).toBe('INVALID_ARGUMENT');
    expect(
      (await refused(start(callId, { encoding: StreamEncoding.STREAM_ENCODING_PCMU, sampleRate: 16_000 })))
        .code,
    ).toBe('INVALID_ARGUMENT');
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
    expect((await refused(start(callId, { customParameters: many }))).code).toBe('INVALID_ARGUMENT');
    expect((await refused(start(callId, { legId: 'no-such-leg' }))).code).toBe('NOT_FOUND');
    expect(gateway.received('openStream').length).toBe(opens);
    // The gateway refuses ws:// (not allowed there): its INVALID_ARGUMENT passes through.
    gateway.failNext('openStream', status.INVALID_ARGUMENT, 'ws:// is not allowed');
    const insecure = await refused(start(callId, { url: 'ws://127.0.0.1:9/x' }));
    expect(insecure.code).toBe('INVALID_ARGUMENT');
    gateway.failNext('openStream', status.UNAVAILABLE, 'media-worker down');
    expect((await refused(start(callId))).code).toBe('UNAVAILABLE');
    expect((await h.stream(callId)).length).toBe(before);
    // No answered party yet: FAILED_PRECONDITION.
    const { callId: ringing } = await h.inboundCall();
    expect((await refused(start(ringing))).code).toBe('FAILED_PRECONDITION');
  });

  it('StopStream: CloseStream(REQUESTED), then StreamStopped with the counters from the gateway', async () => {
    const { callId } = await h.answeredInboundCall();
    const { streamId } = await start(callId);
    await until(callId, 'StreamStarted');
    await h.client.api.stopStream({ callId, streamId });
    expect(gateway.received('closeStream', streamId)).toEqual([
      { streamId, reason: StreamStopReason.STREAM_STOP_REASON_REQUESTED },
    ]);
    const events = await until(callId, 'StreamStopped');
    expect(decoded(events, 'StreamStopped', callEvents.StreamStopped)).toEqual([
      expect.objectContaining({
        streamId,
        reason: StreamStopReason.STREAM_STOP_REASON_REQUESTED,
        ...CLOSED_COUNTERS,
      }),
    ]);
    // Again: OK, nothing asked. Unknown: NOT_FOUND.
    await h.client.api.stopStream({ callId, streamId });
    expect(gateway.received('closeStream', streamId)).toHaveLength(1);
    expect((await refused(h.client.api.stopStream({ callId, streamId: 'str-nope' }))).code).toBe('NOT_FOUND');
    expect((await refused(h.client.api.pauseStream({ callId, streamId }))).code).toBe('FAILED_PRECONDITION');
  });

  it('PauseStream and ResumeStream: the gateway first, then the events; again is OK', async () => {
    const { callId } = await h.answeredInboundCall();
    const { streamId } = await start(callId);
    await h.client.api.pauseStream({ callId, streamId });
    await h.client.api.pauseStream({ callId, streamId });
    expect(gateway.received('pauseStream', streamId)).toEqual([{ streamId }]);
    await until(callId, 'StreamPaused');
    await h.client.api.resumeStream({ callId, streamId });
    await h.client.api.resumeStream({ callId, streamId });
    expect(gateway.received('resumeStream', streamId)).toEqual([{ streamId }]);
    await until(callId, 'StreamResumed');
    // A gateway refusing the pause records nothing.
    gateway.failNext('pauseStream', status.UNAVAILABLE, 'down');
    expect((await refused(h.client.api.pauseStream({ callId, streamId }))).code).toBe('UNAVAILABLE');
    expect(typesOf(await h.stream(callId)).filter((t) => t === 'StreamPaused')).toHaveLength(1);
  });

  it("records the gateway's reconnection and failure facts", async () => {
    const { callId } = await h.answeredInboundCall();
    gateway.connectOnOpen = false;
    try {
      const { streamId: failing } = await start(callId);
      await gateway.publish(callId, failing, {
        $case: 'streamOpenFailed',
        streamOpenFailed: { reason: 'connect ECONNREFUSED 127.0.0.1:9' },
      });
      const failed = await until(callId, 'StreamFailed');
      expect(decoded(failed, 'StreamFailed', callEvents.StreamFailed)[0]).toMatchObject({
        streamId: failing,
        reason: 'connect ECONNREFUSED 127.0.0.1:9',
      });
      const { streamId } = await start(callId);
      await gateway.publish(callId, streamId, {
        $case: 'streamConnected',
        streamConnected: { reconnects: 0 },
      });
      await gateway.publish(callId, streamId, {
        $case: 'streamConnectionLost',
        streamConnectionLost: { attempt: 1, reason: 'closed 1006' },
      });
      await gateway.publish(callId, streamId, {
        $case: 'streamConnected',
        streamConnected: { reconnects: 1 },
      });
      const events = await until(callId, 'StreamStarted', 2);
      expect(typesOf(events).slice(-3)).toEqual(['StreamStarted', 'StreamReconnecting', 'StreamStarted']);
      expect(decoded(events, 'StreamReconnecting', callEvents.StreamReconnecting)[0]).toMatchObject({
        streamId,
        attempt: 1,
        reason: 'closed 1006',
      });
      expect(decoded(events, 'StreamStarted', callEvents.StreamStarted).at(-1)?.reconnects).toBe(1);
    } finally {
      gateway.connectOnOpen = true;
    }
  });

  it('the call ending closes its streams (CALL_ENDED); StreamStopped follows CallEnded', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    const { streamId } = await start(callId);
    const { streamId: second } = await start(callId, { legId });
    await until(callId, 'StreamStarted', 2);
    await h.client.hangup(callId);
    await until(callId, 'StreamStopped', 2);
    for (const id of [streamId, second])
      expect(gateway.received('closeStream', id)).toEqual([
        { streamId: id, reason: StreamStopReason.STREAM_STOP_REASON_CALL_ENDED },
      ]);
    const types = typesOf(await h.stream(callId));
    expect(types.indexOf('StreamStopped')).toBeGreaterThan(types.indexOf('CallEnded'));
    expect(
      decoded(await h.stream(callId), 'StreamStopped', callEvents.StreamStopped).map((s) => s.reason),
    ).toEqual([
      StreamStopReason.STREAM_STOP_REASON_CALL_ENDED,
      StreamStopReason.STREAM_STOP_REASON_CALL_ENDED,
    ]);
  });

  it('a party joining updates the roster (participants and reason); a hold too; a leg stream ends with its leg', async () => {
    const { callId, legId: a } = await h.answeredInboundCall();
    const { streamId } = await start(callId);
    await until(callId, 'StreamStarted');
    const { legId: b } = await h.client.dial({ callId, bridgeWithLegId: a, idempotencyKey: 'dial-b' });
    await until(callId, 'LegInitiated', 2);
    await h.sipEdge.answered(callId, b);
    await until(callId, 'LegsBridged');
    await waitFor('UpdateStream', async () => gateway.received('updateStream', streamId).length >= 1);
    const [joined] = gateway.received('updateStream', streamId);
    expect(joined).toMatchObject({ streamId, reason: 'party-joined' });
    expect(
      (joined!.participants as Array<{ legId: string; role: string }>).map((p) => [p.legId, p.role]),
    ).toEqual([
      [a, 'caller'],
      [b, 'callee'],
    ]);
    expect(joined!.context).toMatchObject({ callId, from: 'sip:caller@127.0.0.1' });

    const { streamId: legStream } = await start(callId, { legId: b });
    const updates = gateway.received('updateStream', streamId).length;
    // B's phone holds (a re-INVITE sendonly, as sip-edge reports it).
    await h.sipEdge.publishSipFact(callId, b, {
      $case: 'legHoldChanged',
      legHoldChanged: { held: true, direction: 'sendonly' },
    });
    await waitFor('hold update', async () => gateway.received('updateStream', streamId).length > updates);
    const hold = gateway.received('updateStream', streamId).at(-1)!;
    expect(hold.reason).toBe('hold');
    expect((hold.participants as Array<{ legId: string; held: boolean }>).map((p) => p.held)).toEqual([
      false,
      true,
    ]);

    // B hangs up: the leg stream closes (CALL_ENDED) whatever becomes of A (a B2BUA pair may end). A leg's end
    // waits for the other source's earlier facts (and, when it arrived late on a loaded box, for the
    // media-worker's flush, which nothing answers here): a longer wait than the default.
    await h.sipEdge.ended(callId, b, EndCause.END_CAUSE_REMOTE_HANGUP);
    await waitFor(
      'leg stream closed',
      async () => gateway.received('closeStream', legStream).length >= 1,
      15_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; gateway asked: ${JSON.stringify(gateway.requests.slice(-6))}`);
    });
    // Once per decision that ends it while the log still has it running: B's end, and A's when the pair
    // ends too before the gateway's StreamClosed is recorded (CloseStream of a closed stream is OK).
    const closes = gateway.received('closeStream', legStream);
    expect(closes.length).toBeGreaterThanOrEqual(1);
    expect(closes.length).toBeLessThanOrEqual(2);
    for (const close of closes)
      expect(close).toMatchObject({ reason: StreamStopReason.STREAM_STOP_REASON_CALL_ENDED });
  });

  it('a transfer updates the roster with the reason "transfer"', async () => {
    const { callId, a, b } = await h.bridgedCall();
    const { streamId } = await start(callId);
    await until(callId, 'StreamStarted');
    const { targetLegId } = await h.client.api.transferLeg({
      callId,
      legId: a,
      target: 'sip:carol@127.0.0.1:5090',
      mode: callEvents.TransferMode.TRANSFER_MODE_BRIDGE,
      fromUri: '',
      timeoutMs: 0,
      releaseOnFailure: false,
      idempotencyKey: 'xfer-1',
    });
    await until(callId, 'DialRequested', 2);
    await waitFor('target INVITE', async () =>
      h.sent('placeCall', callId).some((r) => r.legId === targetLegId),
    );
    await h.sipEdge.answered(callId, targetLegId);
    await until(callId, 'TransferCompleted');
    await waitFor('transfer update', async () =>
      gateway.received('updateStream', streamId).some((u) => u.reason === 'transfer'),
    );
    const update = gateway.received('updateStream', streamId).find((u) => u.reason === 'transfer')!;
    expect((update.participants as Array<{ legId: string }>).map((p) => p.legId)).toEqual([a, targetLegId]);
    expect((update.participants as Array<{ legId: string }>).map((p) => p.legId)).not.toContain(b);
  });

  it('forwards the digits of a streamed leg (SendStreamDtmf)', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    const { streamId } = await start(callId);
    await h.sipEdge.publishSipFact(callId, legId, {
      $case: 'dtmfInfoReceived',
      dtmfInfoReceived: { digit: '5', durationMs: 160 },
    });
    await until(callId, 'DtmfReceived');
    await waitFor('SendStreamDtmf', async () => gateway.received('sendStreamDtmf', streamId).length === 1);
    expect(gateway.received('sendStreamDtmf', streamId)).toEqual([
      { streamId, legId, digit: '5', durationMs: 160 },
    ]);
  });

  it('a stream the gateway no longer holds is recorded as lost (GATEWAY_LOST): on StopStream, and after a restart', async () => {
    const { callId } = await h.answeredInboundCall();
    const { streamId } = await start(callId);
    const { streamId: other } = await start(callId);
    await until(callId, 'StreamStarted', 2);
    // The gateway lost both (it restarted): StopStream finds it NOT_FOUND.
    gateway.held.delete(streamId);
    gateway.held.delete(other);
    await h.client.api.stopStream({ callId, streamId });
    let events = await until(callId, 'StreamStopped');
    expect(decoded(events, 'StreamStopped', callEvents.StreamStopped)[0]).toMatchObject({
      streamId,
      reason: StreamStopReason.STREAM_STOP_REASON_GATEWAY_LOST,
      framesSent: 0,
    });
    // An orchestrator starting on the same log asks the gateway about the other, and records it lost.
    await h.orchestrator.close();
    next = await startCallOrchestrator({
      log: createLogger({
        service: 'streams-test',
        level: (process.env.TEST_LOG_LEVEL as 'info') ?? 'silent',
      }),
      grpc: { host: '127.0.0.1', port: 0 },
      databaseUrl: h.db.url,
      natsUrl: h.nats.url,
      legReconcileIntervalMs: 3_600_000,
      sipEdge: { address: h.sipEdge.address, timeoutMs: 3000 },
      mediaWorker: { address: '127.0.0.1:1', timeoutMs: 2000, mediaFilesDir: '/nonexistent' },
      mixer: { address: '127.0.0.1:1', timeoutMs: 2000 },
      streamGateway: { address: gateway.address, timeoutMs: 2000 },
    });
    const store = createEventStore({ pool: h.pool });
    await waitFor(
      'the other stream recorded lost',
      async () =>
        (await store.readStream(callStreamId(callId))).filter((e) => e.type === 'StreamStopped').length === 2,
    );
    events = await store.readStream(callStreamId(callId));
    expect(decoded(events, 'StreamStopped', callEvents.StreamStopped)[1]).toMatchObject({
      streamId: other,
      reason: StreamStopReason.STREAM_STOP_REASON_GATEWAY_LOST,
    });
    expect(gateway.received('holdsStream', other).length).toBeGreaterThanOrEqual(1);
  });
});
