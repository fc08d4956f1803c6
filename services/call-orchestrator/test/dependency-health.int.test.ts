// CallControl's gRPC health follows its dependencies: NOT_SERVING once NATS is gone.
import { credentials } from '@grpc/grpc-js';
import { health } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { startHarness, type Harness } from './support/orchestrator-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

it('reports NOT_SERVING for CallControl when NATS is down', async () => {
  const client = new health.HealthClient(
    `127.0.0.1:${h.orchestrator.grpc.port}`,
    credentials.createInsecure(),
  );
  const check = () =>
    new Promise<health.HealthCheckResponse_ServingStatus>((resolve, reject) =>
      client.check({ service: 'callctl.v1.CallControl' }, (e, r) => (e ? reject(e) : resolve(r.status))),
    );
  try {
    expect(await check()).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
    await h.nats.stop();
    await waitFor(
      'NOT_SERVING',
      async () => (await check()) === health.HealthCheckResponse_ServingStatus.NOT_SERVING,
      10_000,
    );
  } finally {
    client.close();
  }
});
