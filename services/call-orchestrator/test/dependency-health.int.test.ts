// CallControl's gRPC health follows its dependencies: NOT_SERVING once NATS is gone, for the service and
// for the whole server (''), with the orchestrator's default probe interval and timeouts.
import { credentials, status } from '@grpc/grpc-js';
import type { GrpcStatusError } from '@callctl/client';
import { health } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { startHarness, type Harness } from './support/orchestrator-harness.js';

jest.setTimeout(30_000);

const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;

let h: Harness;
let client: health.HealthClient;
beforeAll(async () => {
  h = await startHarness({ healthProbeIntervalMs: undefined, databaseProxy: true });
  client = new health.HealthClient(`127.0.0.1:${h.orchestrator.grpc.port}`, credentials.createInsecure());
});
afterAll(async () => {
  client?.close();
  await h?.stop();
});

const check = (service: string) =>
  new Promise<health.HealthCheckResponse_ServingStatus>((resolve, reject) =>
    client.check({ service }, (e, r) => (e ? reject(e) : resolve(r.status))),
  );
const statuses = async () => [await check('callctl.v1.CallControl'), await check('')];

it('reports NOT_SERVING within 5 s of NATS stopping (SIGSTOP), for the service and the server, and SERVING after', async () => {
  expect(await statuses()).toEqual([SERVING, SERVING]);
  const pid = h.nats.process.child.pid!;
  const stoppedAt = Date.now();
  process.kill(pid, 'SIGSTOP');
  try {
    await waitFor('NOT_SERVING', async () => (await statuses()).every((s) => s === NOT_SERVING), 10_000);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  await waitFor('SERVING again', async () => (await statuses()).every((s) => s === SERVING), 10_000);
});

it('refuses a command before it acts once the probe found PostgreSQL away twice in a row', async () => {
  const { callId, legId } = await h.inboundCall();
  h.databaseProxy!.cut();
  try {
    await waitFor('NOT_SERVING', async () => (await statuses()).every((s) => s === NOT_SERVING), 5000);
    // One failed probe can be a stall of a loaded machine; commands treat the log as away after two.
    await waitFor('the log suspect', () => h.orchestrator.logHealth.suspect, 5000);
    const answered = await h.client.answerLeg(callId, legId).then(
      () => 'answered',
      (error: GrpcStatusError) => [error.status, error.details],
    );
    expect(answered).toEqual([status.UNAVAILABLE, 'event log (PostgreSQL) unavailable']);
    expect(h.sipEdge.received('answerLeg').filter((r) => r.callId === callId)).toHaveLength(0);
  } finally {
    h.databaseProxy!.restore();
  }
  await waitFor('SERVING again', async () => (await statuses()).every((s) => s === SERVING), 10_000);
  await h.client.answerLeg(callId, legId);
  expect(h.sipEdge.received('answerLeg').filter((r) => r.callId === callId)).toHaveLength(1);
});

it('reports NOT_SERVING for CallControl when NATS is down', async () => {
  expect(await check('callctl.v1.CallControl')).toBe(SERVING);
  await h.nats.stop();
  await waitFor('NOT_SERVING', async () => (await check('callctl.v1.CallControl')) === NOT_SERVING, 10_000);
});
