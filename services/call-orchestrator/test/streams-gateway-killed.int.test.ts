// A stream gateway killed while the orchestrator runs (its streams gone with its memory): the periodic
// check (with every deadline resync, here every 200 ms) finds the call's running stream held by no gateway
// at two checks in a row and records it StreamStopped(GATEWAY_LOST); the call goes on.
import { connectBus, type NatsConnection } from '@callctl/bus';
import { createLogger } from '@callctl/logging';
import { callEvents } from '@callctl/proto';
import { startNatsServer, waitFor, type NatsServerFixture } from '@callctl/testing';
import { decoded, startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';
import { StreamGatewayStandIn } from './support/stream-gateway-stand-in.js';

const log = createLogger({ service: 'streams-gateway-killed-test', level: 'silent' });

describe('a stream gateway killed while the orchestrator runs', () => {
  let nats: NatsServerFixture;
  let nc: NatsConnection;
  let gateway: StreamGatewayStandIn;
  let h: Harness;
  beforeAll(async () => {
    nats = await startNatsServer();
    nc = await connectBus({ servers: nats.url, name: 'stream-gateway-stand-in' });
    gateway = await StreamGatewayStandIn.start(nc, log);
    h = await startHarness({
      nats,
      orchestrator: {
        streamGateway: { address: gateway.address, timeoutMs: 2000 },
        deadlineResyncMs: 200,
      },
    });
  });
  afterAll(async () => {
    await h.stop();
    await gateway.stop();
    await nc.drain().catch(() => nc.close());
    await nats.stop();
  });

  it('records its running streams GATEWAY_LOST after two checks; a held stream stays', async () => {
    const { callId } = await h.answeredInboundCall();
    const { streamId } = await h.client.startStream({ callId });
    const { streamId: kept } = await h.client.startStream({ callId });
    await h.until(callId, 'StreamStarted', 2);
    const checks = () => gateway.received('holdsStream', streamId).length;
    // Checked while held (twice and more): nothing recorded.
    await waitFor('checked while held', async () => checks() >= 2);
    expect(typesOf(await h.stream(callId))).not.toContain('StreamStopped');
    gateway.held.delete(streamId); // its gateway died with it
    const since = checks();
    const events = await h.until(callId, 'StreamStopped');
    expect(checks() - since).toBeGreaterThanOrEqual(2);
    expect(decoded(events, 'StreamStopped', callEvents.StreamStopped)).toEqual([
      expect.objectContaining({
        streamId,
        reason: callEvents.StreamStopReason.STREAM_STOP_REASON_GATEWAY_LOST,
      }),
    ]);
    expect(gateway.received('holdsStream', kept).length).toBeGreaterThanOrEqual(2);
    expect((await h.client.getCall(callId)).ended).toBe(false);
  });
});
