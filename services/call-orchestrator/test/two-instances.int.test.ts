// Two orchestrator instances on one event log and one NATS: the facts, consumed by both through one
// durable consumer, are each recorded once, commands through either act on the same calls, and a deadline
// armed by the instance that then stops is still acted on by the other.
import { callStreamId } from '@callctl/eventstore';
import { createLogger } from '@callctl/logging';
import { waitFor } from '@callctl/testing';
import { startCallOrchestrator, type RunningCallOrchestrator } from '../src/call-orchestrator.js';
import { startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';
import { CallControlTestClient } from './support/call-control-client.js';

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

it('records each fact once and takes commands through either instance on the same calls', async () => {
  const otherClient = new CallControlTestClient(`127.0.0.1:${other.grpc.port}`);
  try {
    const offered = await Promise.all(Array.from({ length: 10 }, () => h.sipEdge.offerInboundCall()));
    for (const { callId } of offered)
      await waitFor('call recorded', async () => (await h.stream(callId)).length === 3, 10_000);
    // Each instance answers half, the other half after the first instance read the call (a cached call
    // the other instance then moves on).
    for (const [i, { callId, legId }] of offered.entries()) {
      await (i % 2 ? h.client : otherClient).answerLeg(callId, legId);
      await (i % 2 ? otherClient : h.client).hangup(callId);
    }
    for (const { callId } of offered) {
      const stream = await waitFor(
        'call ended',
        async () => {
          const events = await h.stream(callId);
          return events.some((e) => e.type === 'CallEnded') && events;
        },
        10_000,
      );
      expect(stream.map((e) => e.streamVersion)).toEqual(stream.map((_, i) => i + 1));
      expect(typesOf(stream)).toEqual([
        'CallCreated',
        'LegInitiated',
        'LegRinging',
        'LegAnswered',
        'LegEnded',
        'CallEnded',
      ]);
    }
  } finally {
    otherClient.close();
  }
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
