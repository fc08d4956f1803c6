// Two orchestrator instances on one event log and one NATS: a deadline armed by the instance that then
// stops is still acted on by the other.
import { callStreamId } from '@callctl/eventstore';
import { createLogger } from '@callctl/logging';
import { waitFor } from '@callctl/testing';
import { startCallOrchestrator, type RunningCallOrchestrator } from '../src/call-orchestrator.js';
import { startHarness, type Harness } from './support/orchestrator-harness.js';

let h: Harness;
let other: RunningCallOrchestrator;
beforeAll(async () => {
  h = await startHarness();
  other = await startCallOrchestrator({
    log: createLogger({ service: 'second-instance', level: 'silent' }),
    grpc: { host: '127.0.0.1', port: 0 },
    databaseUrl: h.db.url,
    natsUrl: h.nats.url,
    sipEdge: { address: h.sipEdge.address, timeoutMs: 3000 },
    mediaWorker: { address: '127.0.0.1:1', timeoutMs: 1000, mediaFilesDir: '/nonexistent' },
    legReconcileIntervalMs: 3_600_000,
    deadlineResyncMs: 200,
  });
});
afterAll(async () => {
  await other?.close();
  await h?.stop();
});

it('fires a deadline that the instance which armed it can no longer fire', async () => {
  const { callId, legId } = await h.sipEdge.offerInboundCall();
  await waitFor('call recorded', async () => (await h.stream(callId)).length === 3);
  await h.client.answerLeg(callId, legId);
  await h.client.collectDigits({ callId, legId, firstDigitTimeoutMs: 1500, idempotencyKey: 'two-1' });
  await waitFor('the other instance holds it', () => other.deadlines.armedFor(callId).length > 0, 10_000);
  await h.orchestrator.close(); // the instance that armed it is gone (close also clears its timers)
  const collected = await waitFor(
    'the first-digit timeout',
    async () =>
      (await other.store.readStream(callStreamId(callId))).find((e) => e.type === 'DigitsCollected'),
    10_000,
  );
  expect(collected.data).toEqual(
    expect.objectContaining({ reason: 'COLLECT_END_REASON_FIRST_DIGIT_TIMEOUT' }),
  );
});
