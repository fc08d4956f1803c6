// The orchestrator's share of a call, in-process against the local stack's PostgreSQL (a scratch database
// copied from the migrated template) and an own nats-server; sip-edge is the recording SipEdge server of
// the tests (no SIP, so these are the platform's costs above the SIP engine):
// - offer -> app: sip-edge publishes InboundCallOffered; the app sees leg_ringing on NATS (facts consumer,
//   append, relay, JetStream) — the orchestrator's part of post-dial delay;
// - AnswerLeg and Hangup RPC latency (load, decide, sip-edge call, append);
// - calls per second with 20 calls in flight, each: offer -> leg_ringing -> AnswerLeg -> Hangup.
import { randomUUID } from 'node:crypto';
import { connectBus } from '@callctl/bus';
import { createLogger } from '@callctl/logging';
import { createTestDatabase, startNatsServer } from '@callctl/testing';
import { startCallOrchestrator } from '../src/call-orchestrator.js';
import { CallControlTestClient } from '../test/support/call-control-client.js';
import { RecordingSipEdge } from '../test/support/recording-sip-edge.js';

const TARGETS = { offerToAppP99Ms: 20, rpcP99Ms: 20, callsPerS: 150 };
const CALLS = 600;
const IN_FLIGHT = 20;

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const nats = await startNatsServer();
  const nc = await connectBus({ servers: nats.url, name: 'orchestrator-bench' });
  const sipEdge = await RecordingSipEdge.start({ nc });
  const orchestrator = await startCallOrchestrator({
    log: createLogger({ service: 'orchestrator-bench', level: 'warn' }),
    grpc: { host: '127.0.0.1', port: 0 },
    databaseUrl: db.url,
    natsUrl: nats.url,
    sipEdge: { address: sipEdge.address, timeoutMs: 5000 },
    mediaWorker: { address: '127.0.0.1:1', timeoutMs: 1000, mediaFilesDir: '/nonexistent' },
    databasePoolSize: 16,
  });
  const client = new CallControlTestClient(`127.0.0.1:${orchestrator.grpc.port}`);
  // The app: waits for each call's leg_ringing on NATS (a plain subscription sees what the relay publishes).
  const ringing = new Map<string, () => void>();
  const sub = nc.subscribe('calls.*.leg_ringing', {
    callback: (_error, msg) => ringing.get(msg.subject.split('.')[1]!)?.(),
  });
  const offerToApp: number[] = [];
  const answerRpc: number[] = [];
  const hangupRpc: number[] = [];
  let failed = 0;

  async function oneCall(): Promise<void> {
    const callId = randomUUID();
    const legId = randomUUID();
    const seen = new Promise<void>((resolve) => ringing.set(callId, resolve));
    const t0 = performance.now();
    await sipEdge.publishSipFact(callId, legId, {
      $case: 'inboundCallOffered',
      inboundCallOffered: {
        fromUri: 'sip:a@127.0.0.1',
        toUri: 'sip:b@127.0.0.1',
        sipCallId: legId,
        fromDisplayName: '',
        headers: {},
      },
    });
    await seen;
    ringing.delete(callId);
    offerToApp.push(performance.now() - t0);
    let t = performance.now();
    await client.answerLeg(callId, legId);
    answerRpc.push(performance.now() - t);
    t = performance.now();
    await client.hangup(callId);
    hangupRpc.push(performance.now() - t);
  }

  const f = (n: number) => n.toFixed(2);
  const report = (name: string, xs: number[], target: number) => {
    xs.sort((a, b) => a - b);
    console.log(
      `  ${name.padEnd(26)} p50 ${f(quantile(xs, 0.5))} ms  p99 ${f(quantile(xs, 0.99))} ms  (target p99 <= ${target} ms, ratio ${f(target / quantile(xs, 0.99))}x)`,
    );
  };
  const reset = () => (offerToApp.length = answerRpc.length = hangupRpc.length = 0);

  try {
    for (let i = 0; i < 30; i++) await oneCall(); // warm-up: connections, plans, JIT
    // 1. Latency of one call at a time: what the platform adds to a call on an idle system.
    reset();
    for (let i = 0; i < 200; i++) await oneCall();
    console.log('one call at a time (200 calls): offer -> leg_ringing on NATS -> AnswerLeg -> Hangup');
    report('offer fact -> app (NATS)', offerToApp, TARGETS.offerToAppP99Ms);
    report('AnswerLeg RPC', answerRpc, TARGETS.rpcP99Ms);
    report('Hangup RPC', hangupRpc, TARGETS.rpcP99Ms);

    // 2. Throughput with IN_FLIGHT calls at once.
    reset();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < CALLS) {
          next++;
          await oneCall().catch(() => failed++);
        }
      }),
    );
    const callsPerS = CALLS / ((performance.now() - t0) / 1000);
    if (failed > 0) throw new Error(`${failed} of ${CALLS} calls failed`);
    console.log(`${CALLS} calls, ${IN_FLIGHT} in flight`);
    report('offer fact -> app (NATS)', offerToApp, TARGETS.offerToAppP99Ms);
    report('AnswerLeg RPC', answerRpc, TARGETS.rpcP99Ms);
    console.log(
      `  calls per second           ${Math.round(callsPerS)}  (target >= ${TARGETS.callsPerS}, ratio ${f(callsPerS / TARGETS.callsPerS)}x), 0 failed`,
    );
    console.log('ratio > 1 meets the target; figures are taken on a shared, loaded 2-core machine');
  } finally {
    sub.unsubscribe();
    client.close();
    await orchestrator.close();
    await sipEdge.stop();
    await nc.close();
    await nats.stop();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
