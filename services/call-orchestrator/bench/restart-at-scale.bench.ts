// Issue 14's restart at scale, two figures:
// 1. The orchestrator killed with SIGKILL while RESTART_BENCH_CALLS (10,000) answered calls are active in
//    the log, and started again at once: time from the kill until its health check says SERVING, until
//    every call answers GetCall again (with the state it had before the kill), and until Hangup works on
//    a sample of them (RESTART_BENCH_SAMPLE, 100). Target: both within 2 s.
// 2. The relay restarting over RESTART_BENCH_RELAY_EVENTS (100,000) events appended while no relay ran:
//    time until it has published all of them to CALL_EVENTS (JetStream acked, checkpoint at the head),
//    the rate, and its peak memory (in a process of its own, bench/relay-catch-up.ts).
//
// The orchestrator is its built main (dist/src/main.js) in its own process, configured by environment as
// in production, over the local stack's PostgreSQL (a scratch database copied from the migrated template,
// dropped at the end) and an own nats-server. Calls are seeded straight into the log (answered-calls.ts:
// the events the orchestrator itself decides for an offer and an AnswerLeg), not through SIP. sip-edge is
// the orchestrator tests' contract double (a real gRPC server on the SipEdge contract): it holds every
// seeded leg (ListLegs), so the leg reconciler ends none, and it answers HangupLeg, so the sample's
// Hangup is the whole command: load, decide, the SIP action, the append. The media-worker is absent:
// nothing here needs it. The orchestrator runs once first (its active-calls read model and the relay
// catch up with the seeded log, as on a live system), then is killed and restarted for the figures.
// It asserts nothing, and exits non-zero only when it could not measure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata, type ChannelOptions } from '@grpc/grpc-js';
import { jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import { connectBus, CALL_EVENTS_STREAM, type NatsConnection } from '@callctl/bus';
import { createEventStore, loadCheckpoint, RELAY_CHECKPOINT_ID } from '@callctl/eventstore';
import { health, type callControl } from '@callctl/proto';
import { SERVICE_NODE_FLAGS } from '@callctl/service';
import {
  cpuMs,
  createTestDatabase,
  freePort,
  inParallel,
  startNatsServer,
  startProcess,
  waitFor,
  type ManagedProcess,
  type NatsServerFixture,
  type TestDatabase,
} from '@callctl/testing';
import { CallControlTestClient } from '../test/support/call-control-client.js';
import { RecordingSipEdge } from '../test/support/recording-sip-edge.js';
import { EVENTS_PER_CALL, heldLegs, seedAnsweredCalls, type SeededCall } from './answered-calls.js';

const CALLS = Number(process.env.RESTART_BENCH_CALLS ?? 10_000);
const SAMPLE = Number(process.env.RESTART_BENCH_SAMPLE ?? 100);
const RELAY_EVENTS = Number(process.env.RESTART_BENCH_RELAY_EVENTS ?? 100_000);
const TARGET_MS = 2000;
/** GetCall requests in flight at once (an application polling its calls, or a dashboard). */
const GET_CALL_IN_FLIGHT = 32;
/** ListCalls' largest page (active-calls.ts MAX_PAGE_SIZE). */
const LIST_PAGE = 500;
/** Hangups in flight at once. */
const HANGUP_IN_FLIGHT = 8;
const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');
const RELAY_PROCESS = join(__dirname, 'relay-catch-up.ts');
/** More node flags for the orchestrator, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (as e2e/support/services.ts). */
const NODE_ARGS = (process.env.CALLCTL_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
/**
 * A client that dials a port nobody listens on yet backs off up to seconds between attempts: short
 * back-offs, so the time to SERVING is the orchestrator's and not the client's wait.
 */
const EAGER_CHANNEL: ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 10,
  'grpc.min_reconnect_backoff_ms': 10,
  'grpc.max_reconnect_backoff_ms': 50,
};

const stops: (() => Promise<unknown>)[] = [];
async function stopAll(): Promise<void> {
  while (stops.length > 0) await stops.pop()!().catch(() => undefined);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// No thousands separators: bench-compare reads the figures back from this text.
const f0 = (n: number) => String(Math.round(n));
const f2 = (n: number) => n.toFixed(2);

/** Runs `work` until it succeeds; returns the failures it took (a restart may refuse a few). */
async function untilDone(work: () => Promise<unknown>): Promise<number> {
  for (let failures = 0; ; failures++) {
    try {
      await work();
      return failures;
    } catch (error) {
      if (failures >= 100) throw error;
      await sleep(20);
    }
  }
}

/** VmRSS of a process in MiB. */
function rssMiB(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** When the orchestrator logged `message` (its ISO `time`), if it did. */
function loggedAt(output: string, message: string): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes(message)) continue;
    try {
      return Date.parse((JSON.parse(line) as { time: string }).time);
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

interface Platform {
  db: TestDatabase;
  nats: NatsServerFixture;
  nc: NatsConnection;
  pool: pg.Pool;
  sipEdge: RecordingSipEdge;
  port: number;
}

function startOrchestrator(p: Platform): ManagedProcess {
  const proc = startProcess(process.execPath, [...SERVICE_NODE_FLAGS, ...NODE_ARGS, MAIN], {
    env: {
      ...process.env,
      GRPC_PORT: String(p.port),
      DATABASE_URL: p.db.url,
      NATS_URL: p.nats.url,
      SIP_EDGE_GRPC: p.sipEdge.address,
      MEDIA_WORKER_GRPC: '127.0.0.1:1',
      LOG_LEVEL: 'info',
    },
  });
  stops.push(() => proc.kill());
  return proc;
}

/** Polls the health check until CallControl is SERVING; returns when it first was. */
async function serving(port: number, proc: ManagedProcess): Promise<number> {
  const client = new health.HealthClient(`127.0.0.1:${port}`, credentials.createInsecure(), EAGER_CHANNEL);
  try {
    for (;;) {
      if (proc.child.exitCode !== null) throw new Error(`orchestrator exited: ${proc.output()}`);
      const status = await new Promise<number | undefined>((resolve) =>
        client.check(
          { service: 'callctl.v1.CallControl' },
          new Metadata(),
          { deadline: Date.now() + 250 },
          (e, r) => resolve(e ? undefined : r.status),
        ),
      );
      if (status === health.HealthCheckResponse_ServingStatus.SERVING) return performance.now();
      await sleep(5);
    }
  } finally {
    client.close();
  }
}

/** GetCall on every call; returns the views and how many requests failed (and were repeated). */
async function getAll(
  client: CallControlTestClient,
  calls: readonly SeededCall[],
): Promise<{ views: Map<string, callControl.Call>; failures: number }> {
  const views = new Map<string, callControl.Call>();
  let failures = 0;
  await inParallel(calls, GET_CALL_IN_FLIGHT, async (c) => {
    failures += await untilDone(async () => views.set(c.callId, await client.getCall(c.callId)));
  });
  return { views, failures };
}

/** Every page of ListCalls; returns how many calls they held. */
async function listAll(client: CallControlTestClient): Promise<number> {
  let listed = 0;
  for (let token = ''; ;) {
    const page = await client.listCalls(LIST_PAGE, token);
    listed += page.calls.length;
    token = page.nextPageToken;
    if (!token) return listed;
  }
}

async function restartFigures(): Promise<void> {
  const db = await createTestDatabase();
  stops.push(() => db.drop());
  const nats = await startNatsServer();
  stops.push(() => nats.stop());
  const nc = await connectBus({ servers: nats.url, name: 'restart-bench' });
  stops.push(() => nc.close());
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  pool.on('error', () => undefined);
  stops.push(() => pool.end());
  const sipEdge = await RecordingSipEdge.start({ nc });
  stops.push(() => sipEdge.stop());
  const p: Platform = { db, nats, nc, pool, sipEdge, port: await freePort() };
  const store = createEventStore({ pool });

  let t = performance.now();
  const calls = await seedAnsweredCalls(store, CALLS);
  const seedS = (performance.now() - t) / 1000;
  const head = await store.headPosition();
  sipEdge.heldLegs = heldLegs(calls);
  console.log(`seeding: ${CALLS} answered calls, ${head} events, in ${seedS.toFixed(1)} s`);

  // The first run: the read model and the relay catch up with the seeded log, as on a live system.
  t = performance.now();
  let proc = startOrchestrator(p);
  await serving(p.port, proc);
  const firstStartMs = performance.now() - t;
  await waitFor(
    'the relay to publish the seeded log',
    async () => (await loadCheckpoint(pool, RELAY_CHECKPOINT_ID)) >= head,
    300_000,
    200,
  );
  let client = new CallControlTestClient(`127.0.0.1:${p.port}`);
  t = performance.now();
  const warmListed = await listAll(client);
  const warmListMs = performance.now() - t;
  t = performance.now();
  const sweepCpu = { orchestrator: cpuMs(proc.child.pid!), bench: process.cpuUsage() };
  const before = await getAll(client, calls);
  const warmSweepMs = performance.now() - t;
  const benchCpu = process.cpuUsage(sweepCpu.bench);
  const warmCpuPerCall = {
    orchestrator: (cpuMs(proc.child.pid!) - sweepCpu.orchestrator) / CALLS,
    bench: (benchCpu.user + benchCpu.system) / 1000 / CALLS,
  };
  client.close();
  console.log(
    `first start, read model from position zero: health SERVING after ${f0(firstStartMs)} ms  (then the relay caught up)`,
  );

  // The restart. Once SERVING: the sample's Hangups beside a ListCalls of every page (every call's view,
  // 500 a request), then GetCall on every call (32 in flight: bound by gRPC's cost per request, which
  // the same sweep on the warm process before the kill shows).
  const t0 = performance.now();
  await proc.kill();
  const spawnedAt = Date.now();
  proc = startOrchestrator(p);
  const servingAt = await serving(p.port, proc);
  const cpuAtServing = cpuMs(proc.child.pid!);
  client = new CallControlTestClient(`127.0.0.1:${p.port}`);
  const sample = calls.filter((_, i) => i % Math.floor(CALLS / SAMPLE) === 0).slice(0, SAMPLE);
  let hangupsDoneAt = 0;
  let listedAt = 0;
  let hangupFailures = 0;
  const [listed] = await Promise.all([
    listAll(client).finally(() => (listedAt = performance.now())),
    inParallel(sample, HANGUP_IN_FLIGHT, async (c) => {
      hangupFailures += await untilDone(() => client.hangup(c.callId));
    }).finally(() => (hangupsDoneAt = performance.now())),
  ]);
  const sweepStart = performance.now();
  const after = await getAll(client, calls);
  const getCallsDoneAt = performance.now();
  const rss = rssMiB(proc.child.pid!);
  const sampled = new Set(sample.map((c) => c.callId));
  const changed = calls.filter(
    (c) =>
      !sampled.has(c.callId) &&
      JSON.stringify(after.views.get(c.callId)) !== JSON.stringify(before.views.get(c.callId)),
  ).length;
  const ended = sample.filter((c) => after.views.get(c.callId)?.ended).length;
  const hungUp = new Set(sipEdge.received('hangupLeg').map((r) => r.callId)).size;
  client.close();
  // SIGTERM: a profile (CALLCTL_SERVICE_NODE_ARGS) is written at a clean exit only.
  await proc.stop(10_000);

  const output = proc.output();
  const phase = (message: string) => {
    const at = loggedAt(output, message);
    return at === undefined ? '-' : `${f0(at - spawnedAt)} ms`;
  };
  const ratio = (ms: number) => `target <= ${TARGET_MS} ms, ratio ${f2(TARGET_MS / ms)}x`;
  console.log(`restart: kill -9 with ${CALLS} active calls, started again at once`);
  console.log(`  kill -> health SERVING                ${f0(servingAt - t0)} ms  (${ratio(servingAt - t0)})`);
  console.log(
    `  spawn -> deadlines re-armed           ${phase('deadlines re-armed from the log')}  (its log)`,
  );
  console.log(`  spawn -> ready                        ${phase('call-orchestrator ready')}  (its log)`);
  console.log(`  orchestrator CPU until SERVING        ${f0(cpuAtServing)} ms`);
  console.log(
    `  kill -> sample Hangups recorded       ${f0(hangupsDoneAt - t0)} ms  (${ratio(hangupsDoneAt - t0)}; ${SAMPLE} calls, ${HANGUP_IN_FLIGHT} in flight beside the ListCalls, ${hangupFailures} failed and repeated; ${ended} of ${SAMPLE} ended, ${hungUp} HangupLeg at sip-edge)`,
  );
  console.log(
    `  kill -> every call listed             ${f0(listedAt - t0)} ms  (${ratio(listedAt - t0)}; ListCalls pages of ${LIST_PAGE}: ${listed} calls)`,
  );
  console.log(
    `  kill -> every GetCall answered        ${f0(getCallsDoneAt - t0)} ms  (${ratio(getCallsDoneAt - t0)}; ${after.failures} failed and repeated, ${changed} of ${CALLS - SAMPLE} untouched calls differ from before the kill)`,
  );
  console.log(
    `  GetCall sweep after the restart       ${f0(getCallsDoneAt - sweepStart)} ms  (${GET_CALL_IN_FLIGHT} in flight)`,
  );
  console.log(`  GetCall sweep on the warm process     ${f0(warmSweepMs)} ms  (before the kill)`);
  console.log(`  GetCall rate on the warm process      ${f0(CALLS / (warmSweepMs / 1000))} calls/s`);
  console.log(`  orchestrator CPU per GetCall          ${f2(warmCpuPerCall.orchestrator)} ms`);
  console.log(
    `  client CPU per GetCall                ${f2(warmCpuPerCall.bench)} ms  (this process: the load, not the platform)`,
  );
  console.log(`  ListCalls of every call, warm process ${f0(warmListMs)} ms  (${warmListed} calls)`);
  console.log(`  orchestrator RSS after the sweep      ${f0(rss)} MiB`);
  await stopAll();
}

async function relayFigures(): Promise<void> {
  const db = await createTestDatabase();
  stops.push(() => db.drop());
  const nats = await startNatsServer();
  stops.push(() => nats.stop());
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  pool.on('error', () => undefined);
  stops.push(() => pool.end());
  const store = createEventStore({ pool });
  const calls = Math.ceil(RELAY_EVENTS / EVENTS_PER_CALL);
  const t = performance.now();
  await seedAnsweredCalls(store, calls);
  const head = await store.headPosition();
  console.log(
    `relay backlog appended in ${((performance.now() - t) / 1000).toFixed(1)} s  (${head} events of ${calls} calls, with no relay running)`,
  );

  const proc = startProcess(process.execPath, ['--import', 'tsx', RELAY_PROCESS], {
    env: { ...process.env, DATABASE_URL: db.url, NATS_URL: nats.url, HEAD: String(head) },
  });
  stops.push(() => proc.kill());
  const code = await proc.exited;
  const line = proc
    .output()
    .split('\n')
    .find((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`relay process failed (${code}): ${proc.output()}`);
  const r = JSON.parse(line) as {
    ms: number;
    firstCheckpointMs: number;
    checkpoints: number;
    rssBeforeMiB: number;
    peakMiB: number;
    cpuMs: number;
  };
  const nc = await connectBus({ servers: nats.url, name: 'restart-bench-relay' });
  stops.push(() => nc.close());
  const published = (await (await jetstreamManager(nc)).streams.info(CALL_EVENTS_STREAM)).state.messages;
  console.log(
    `  relay catch-up        ${f2(r.ms / 1000)} s  (${published} of ${head} in CALL_EVENTS; ${r.checkpoints} checkpoints, the first after ${f0(r.firstCheckpointMs)} ms)`,
  );
  console.log(`  relay catch-up rate   ${f0(head / (r.ms / 1000))} events/s`);
  console.log(`  relay RSS before      ${f0(r.rssBeforeMiB)} MiB  (connected, before the relay started)`);
  console.log(`  relay RSS peak        ${f0(r.peakMiB)} MiB  (the process's peak, getrusage maxrss)`);
  console.log(`  relay CPU             ${f0(r.cpuMs)} ms  (${f2((r.cpuMs / head) * 1000)} µs/event)`);
  await stopAll();
}

async function main(): Promise<void> {
  await restartFigures();
  await relayFigures();
  console.log('ratio > 1 meets the target; figures are taken on a shared, loaded 2-core machine');
}

process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
main().catch(async (error: unknown) => {
  console.error(error);
  await stopAll();
  process.exit(1);
});
