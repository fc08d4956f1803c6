// Full-stack calls per second and post-dial delay: the whole platform as processes on loopback (nats-server,
// a fresh PostgreSQL database, rtpengine, sip-engine, media-worker, call-orchestrator, sip-edge; started by
// the e2e support of test/support) and an application on the public interfaces only (answering-app.ts:
// call events from NATS, commands over CallControl gRPC). In one run:
//
//   1. inbound ladder: sipp UAC (bench/scenarios/uac-expect-bye.xml) at fixed rates for STEP_S seconds
//      each; every call is answered, played a 1 s file and hung up by the app (every state change in the
//      event log). A step passes with 0 failed calls (sipp's, RPC failures of the app, calls whose end
//      never reached the log), sipp sustaining >= 97 % of the offered rate, and the platform keeping up
//      (answers/s >= 97 % of INVITEs/s: see keptUp). The ladder stops at the first step with failed
//      calls; the figure is the highest step that passed, beside the highest with 0 failed calls.
//   2. post-dial delay INVITE in -> 200 out per step, from sipp's -trace_shortmsg timestamps.
//   3. post-dial delay CreateCall -> INVITE out: the app dials a sipp UAS at OUTBOUND_RATE; the gRPC call
//      is stamped here, the INVITE's arrival by the UAS's -trace_shortmsg (same machine, same clock).
//   1b. the same ladder with every call saying a unique sentence (Say, tts service with espeak-ng) instead of
//      playing the file, when FULL_STACK_VARIANTS names `say` (default `file,say`): calls/s and CPU per call
//      of both variants in one run.
//   1d. `transfer` in FULL_STACK_VARIANTS (default on): every answered caller is blind-transferred (TransferLeg,
//      BRIDGE mode) to a sipp UAS, which answers; the platform bridges the two (a re-INVITE to each) and the
//      app hangs the call up on TransferCompleted: calls/s and CPU per call beside the file variant's.
//   1c. first of all (on a platform at rest), a cached Say -> PlaybackStarted (seen on NATS) at SAY_RATE
//      cps, FULL_STACK_SAY_CALLS calls (default 200, 0 skips) all saying one sentence: p50/p99 (target p99
//      <= 30 ms).
//   4. then, with the platform stopped, the SIP-engine-only rate (sipp UAC -> engine + srf UAS) with the
//      SIP-engine benchmark's own step, and the ratio full-stack / engine-only.
//
// Environment: FULL_STACK_RATES (comma list, default 20,50,100,130,150,200), FULL_STACK_STEP_S (default 10:
// kept-up compares answers with INVITEs over the step, so a steady lag of L seconds costs L / STEP_S),
// FULL_STACK_OUTBOUND_CALLS (default 100, 0 skips), FULL_STACK_ENGINE_RATES (the engine-only ladder;
// FULL_STACK_ENGINE_RATES=0 skips it), FULL_STACK_PG_SYNCHRONOUS_COMMIT (a what-if, e.g. off),
// FULL_STACK_LOG_DIR (keep the services' logs there), FULL_STACK_RTPENGINE_ARGS (more rtpengine options).
// Figures are disturbed by whatever else runs on the machine: the load average, the "box" CPU share and the
// CPU per call (which does not depend on how the cores were shared) say how much.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, type NatsConnection } from '@callctl/bus';
import {
  cpuMs,
  firstLines,
  freePort,
  idleMs,
  makeToneFile,
  requireBinary,
  runSipp,
  maxRate,
  startSipp,
  sustainedRate,
  udpDrops,
  waitFor,
  type MaxRate,
} from '@callctl/testing';
import { engineStep } from '../../services/sip-engine/bench/sip-engine.bench.js';

import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import type { ServiceProcess } from '../support/services.js';
import { serveFiles, type ToneServer } from '../support/tones.js';
import { AnsweringApp, type Tally } from './answering-app.js';
import { cleanUpOnExit } from './child-cleanup.js';
import { serviceComplaints } from './service-complaints.js';
import { pgMeter, setDatabaseOption, type PgUse } from './pg-backends.js';
import {
  epochMs,
  inviteArrivals,
  inviteTimings,
  inviteTo200Ms,
  quantile,
  shortMessageArgs,
  type InviteTiming,
} from './sipp-timings.js';

const list = (name: string, fallback: number[]) =>
  process.env[name] ? process.env[name]!.split(',').map(Number) : fallback;
const STEP_S = Number(process.env.FULL_STACK_STEP_S ?? 10);
const RATES = list('FULL_STACK_RATES', [20, 50, 100, 130, 150, 200]);
const OUTBOUND_CALLS = Number(process.env.FULL_STACK_OUTBOUND_CALLS ?? 100);
/**
 * What the inbound ladders run with: `file` (PlayMedia of a 1 s file), `say` (a unique sentence), `record`
 * (the file, every call recorded in two channels from its answer to its end).
 */
const VARIANTS = (process.env.FULL_STACK_VARIANTS ?? 'file,say,record,transfer')
  .split(',')
  .filter(Boolean) as Variant[];
const SAY_CALLS = Number(process.env.FULL_STACK_SAY_CALLS ?? 200);
const SAY_RATE = 20;
/** Short, so that a Say call lasts about as long as a file call; unique per call, so never cached. */
const uniqueSentence = (n: number) => `Caller ${n}, welcome.`;
const CACHED_SENTENCE = 'Thank you for calling.';
const OUTBOUND_RATE = 20;
const ENGINE_RATES = list('FULL_STACK_ENGINE_RATES', [200, 300, 400, 500, 600, 800, 1000, 1300]).filter(
  (rate) => rate > 0,
);
/**
 * PostgreSQL synchronous_commit for the test database only, e.g. `off`: each append holds the log's append
 * lock until its commit is flushed, so this shows what the WAL flush costs. Unset = the cluster's setting.
 */
const SYNCHRONOUS_COMMIT = process.env.FULL_STACK_PG_SYNCHRONOUS_COMMIT ?? '';
/** More rtpengine options, space-separated (e.g. thread counts: `--num-threads=1`). */
const RTPENGINE_ARGS = (process.env.FULL_STACK_RTPENGINE_ARGS ?? '').split(' ').filter(Boolean);
/** Where to write the services' logs when the platform stops (unset: nowhere). */
const LOG_DIR = process.env.FULL_STACK_LOG_DIR ?? '';
const TARGETS = { cps: 150, pddP99Ms: 20, sayP99Ms: 30 };
type Variant = 'file' | 'say' | 'record' | 'transfer';
const UDP_BUFFER = '4194304';
const WARM_UP_CALLS = 200;
const IDLE_MS = 5000;
/** rtpengine media ports: 4 per call up, and at 200 cps about 300 calls are up at once (1 s play + setup). */
const MEDIA_PORTS = 4000;
/** How long the calls of a step may take to reach CallEnded in the log after sipp is done. */
const SETTLE_MS = 20_000;
const UAC_SCENARIO = join(__dirname, '..', 'scenarios', 'bench-uac-expect-bye.xml');
const UAS_SCENARIO = join(__dirname, '..', 'scenarios', 'uas-answers-expect-bye.xml');
/** The transfer variant: the caller accepts the bridge's re-INVITE, and so does the target. */
const TRANSFEREE_SCENARIO = join(__dirname, '..', 'scenarios', 'bench-uac-transferee-expect-bye.xml');
const TARGET_SCENARIO = join(__dirname, '..', 'scenarios', 'bench-uas-transfer-target-expect-bye.xml');

interface InboundStep {
  rate: number;
  calls: number;
  /** No failed calls, and the platform kept up. */
  ok: boolean;
  noFailures: boolean;
  failed: number;
  tally: Tally;
  /** Calls sipp completed whose CallEnded never reached the app. */
  notEnded: number;
  retrans: number;
  sustained: number;
  /** Answers per second over INVITEs per second (keptUp). */
  answerRatio: number;
  pdd: number[];
  /** Where the post-dial delay goes, p50/p99 of each part. */
  breakdown: string;
  cpu: string;
  why: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (value: number) => (Number.isNaN(value) ? '-' : `${value.toFixed(1)} ms`);

/** The processes whose CPU a step reports, by short name. */
function processes(p: PlatformUnderTest): Record<string, number> {
  const pid = (proc: { child: { pid?: number } }) => proc.child.pid ?? -1;
  return {
    engine: pid(p.edge.engine.process),
    edge: pid(p.edge.sipEdge.process),
    orch: pid(p.orchestrator.process),
    media: pid(p.edge.mediaWorker.process),
    rtpe: pid(p.edge.rtpengine.process),
    nats: pid(p.edge.nats.process),
    ...(p.edge.tts ? { tts: pid(p.edge.tts.process) } : {}),
    ...(p.edge.recording ? { rec: pid(p.edge.recording.process) } : {}),
  };
}

/**
 * CPU of each platform process, of the test database's PostgreSQL backends and of this process (the app)
 * over one step, per call, and how busy the whole machine was meanwhile. Per call, the figures do not
 * depend on how the shared cores were divided: their sum says what rate the platform could carry with
 * every core to itself. The share of one core each process used says which one was saturated (a Node
 * service cannot use much more than one).
 */
class CpuMeter {
  private readonly pids: Record<string, number>;
  private readonly before: Record<string, number>;
  private readonly pg: () => PgUse;
  private readonly app0 = process.cpuUsage();
  private readonly idle0 = idleMs();
  private readonly t0 = Date.now();
  private used: Record<string, number> = {};
  private wallMs = 0;
  private box = 0;

  constructor(p: PlatformUnderTest) {
    this.pids = processes(p);
    this.before = Object.fromEntries(Object.entries(this.pids).map(([name, pid]) => [name, cpuMs(pid)]));
    this.pg = pgMeter(p.db.url);
  }

  /** Ends the processes' measurement (when the step's calls are over). */
  stop(): void {
    this.wallMs = Date.now() - this.t0;
    this.box = Math.round(100 * (1 - (idleMs() - this.idle0) / (cpus().length * this.wallMs)));
    this.used = Object.fromEntries(
      // A process that died meanwhile reads 0: its share is lost, not negative.
      Object.entries(this.pids).map(([name, pid]) => [name, Math.max(0, cpuMs(pid) - this.before[name]!)]),
    );
    const app = process.cpuUsage(this.app0);
    this.used.app = (app.user + app.system) / 1000;
  }

  /** The figures, with the database's read now (its statistics arrive up to a second late). */
  report(calls: number): string {
    const db = this.pg();
    const used: Record<string, number> = { ...this.used, pg: db.cpuMs };
    const perCall = (value: number) => (value / calls).toFixed(1);
    // The app would run elsewhere in production: it is shown, but not counted as the platform's.
    const platform = Object.entries(used).filter(([name]) => name !== 'app');
    const total = platform.reduce((sum, [, value]) => sum + value, 0);
    const each = platform.map(([name, value]) => `${name} ${perCall(value)}`).join(' ');
    const limit = Math.round((cpus().length * 1000 * calls) / total);
    const busiest = platform
      .filter(([name]) => name !== 'pg')
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([name, value]) => `${name} ${Math.round((100 * value) / this.wallMs)}%`)
      .join(', ');
    return (
      `cpu ms/call: ${each} = platform ${perCall(total)} (~${limit} cps with all ${cpus().length} cores), ` +
      `app ${perCall(used.app ?? 0)}; pg: ${(db.events / calls).toFixed(1)} events and ` +
      `${(db.commits / calls).toFixed(1)} transactions per call (rows written: ${rowsPerCall(db, calls)}), ` +
      `busy backends ${db.busy}\n      ` +
      `busiest (of one core, over ${(this.wallMs / 1000).toFixed(1)} s): ${busiest}; box ${this.box}%`
    );
  }

  /** With no calls: what the platform spends on its own (polls, timers, heartbeats), per second. */
  reportIdle(): string {
    const db = this.pg();
    const used: Record<string, number> = { ...this.used, pg: db.cpuMs };
    const each = Object.entries(used)
      .filter(([name]) => name !== 'app')
      .map(([name, value]) => `${name} ${((100 * value) / this.wallMs).toFixed(1)}%`)
      .join(' ');
    const commits = (db.commits * 1000) / this.wallMs;
    return `cpu (of one core): ${each}; pg transactions/s ${commits.toFixed(1)}; box ${this.box}%`;
  }
}

const rowsPerCall = (db: PgUse, calls: number) =>
  Object.entries(db.tableWrites)
    .filter(([, n]) => n > 0)
    .map(([table, n]) => `${table} ${(n / calls).toFixed(1)}`)
    .join(', ');

/**
 * The rate at which the platform answered (200s received per second) against the rate at which sipp sent
 * the INVITEs, both between the 5th and the 95th percentile of their times so that a few slow calls do not
 * count as falling behind. Below 1 the platform fell behind and calls queued: a short step can end with
 * 0 failed calls while the answers lag seconds behind, which would not last.
 */
function keptUp(timings: Map<string, InviteTiming>): number {
  const rate = (times: number[]) => {
    const span = quantile(times, 0.95) - quantile(times, 0.05);
    return times.length < 10 || span <= 0 ? NaN : (0.9 * times.length * 1000) / span;
  };
  const all = [...timings.values()];
  const answered = rate(all.flatMap((t) => (t.okAt === undefined ? [] : [t.okAt])));
  return answered / rate(all.map((t) => t.inviteAt));
}

/** UDP sockets bound in rtpengine's media port range: its sessions' ports still held. */
function mediaPortsInUse(range: { min: number; max: number }): number {
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .map((line) => parseInt(line.trim().split(/\s+/)[1]?.split(':')[1] ?? '', 16))
    .filter((port) => port >= range.min && port <= range.max).length;
}

const platformServices = (p: PlatformUnderTest): ServiceProcess[] => [
  p.edge.engine,
  p.edge.sipEdge,
  p.orchestrator,
  p.edge.mediaWorker,
  ...(p.edge.tts ? [p.edge.tts] : []),
];

async function inboundStep(
  p: PlatformUnderTest,
  app: AnsweringApp,
  dir: string,
  rate: number,
  calls: number,
  options: { judgeRate?: boolean; transfer?: boolean } = {},
): Promise<InboundStep> {
  const judgeRate = options.judgeRate ?? true;
  const services = platformServices(p);
  // The transfer variant's target: a sipp UAS for this step's calls, started before the callers.
  const target = options.transfer
    ? await startSipp({
        scenario: TARGET_SCENARIO,
        calls,
        timeoutMs: STEP_S * 1000 + 90_000,
        traceMessages: false,
        args: ['-buff_size', UDP_BUFFER],
      })
    : undefined;
  if (target) app.announce({ kind: 'transfer', target: `sip:target@127.0.0.1:${target.port}` });
  const marks = services.map((service) => service.output().length);
  const trace = join(dir, `uac-${rate}-${Date.now()}.csv`);
  const drops0 = udpDrops(p.edge.engine.sipPort);
  app.resetTally();
  const meter = new CpuMeter(p);
  const uac = await runSipp({
    scenario: options.transfer ? TRANSFEREE_SCENARIO : UAC_SCENARIO,
    remote: `127.0.0.1:${p.edge.engine.sipPort}`,
    service: 'bench',
    rate,
    calls,
    limit: rate * 30,
    timeoutMs: STEP_S * 1000 + 60_000,
    traceMessages: false,
    args: ['-buff_size', UDP_BUFFER, ...shortMessageArgs(trace)],
  });
  const drops = udpDrops(p.edge.engine.sipPort) - drops0;
  // Every call sipp saw through must reach CallEnded in the log (the app sees it on NATS).
  await waitFor(
    'calls ended in the log',
    () => app.tally.callsEnded >= uac.successfulCalls,
    SETTLE_MS,
    50,
  ).catch(() => undefined);
  // A recorded call is done once its recording is stored (RecordingSaved final) or failed.
  await waitFor(
    'recordings stored',
    () => app.tally.recordingsSaved + app.tally.recordingsFailed >= app.tally.recordingsStarted,
    SETTLE_MS,
    50,
  ).catch(() => undefined);
  meter.stop();
  const targetResult = await target?.stop(5000);
  const tally = app.resetTally();
  const timings = inviteTimings(trace);
  const range = p.edge.rtpengine.mediaPorts;
  const held = `rtpengine ports held ${mediaPortsInUse(range)}/${range.max - range.min + 1}`;
  // The database's statistics reach pg_stat_database up to a second after its backends went idle.
  await sleep(1100);
  const cpu = `${meter.report(calls)}; engine udp drops ${drops}`;
  const failed = Math.max(calls - uac.successfulCalls, uac.failedCalls) + (targetResult?.failedCalls ?? 0);
  const untransferred = options.transfer ? tally.transfersRequested - tally.transfersCompleted : 0;
  const notEnded = Math.max(0, uac.successfulCalls - tally.callsEnded);
  const sustained = sustainedRate(uac);
  const answerRatio = keptUp(timings);
  const unsaved = tally.recordingsStarted - tally.recordingsSaved;
  const noFailures =
    failed === 0 && tally.rpcFailures === 0 && notEnded === 0 && unsaved === 0 && untransferred === 0;
  const kept = !judgeRate || (sustained * 100 >= rate * 97 && answerRatio >= 0.97);
  const ok = noFailures && kept;
  const why = noFailures
    ? ''
    : [
        uac.errors ? `\n      sipp: ${firstLines(uac.errors, 3)}` : '',
        tally.errors.length ? `\n      app: ${tally.errors.join(' | ')}` : '',
        tally.otherEndings.size ? `\n      call ends: ${[...tally.otherEndings].join(', ')}` : '',
        untransferred
          ? `\n      transfers: ${untransferred} of ${tally.transfersRequested} not completed (${tally.transfersFailed} failed)`
          : '',
        targetResult?.failedCalls ? `\n      transfer target sipp: ${targetResult.failedCalls} failed` : '',
        unsaved
          ? `\n      recordings: ${unsaved} of ${tally.recordingsStarted} not saved (${tally.recordingsFailed} failed)`
          : '',
        serviceComplaints(services, marks),
      ].join('');
  return {
    rate,
    calls,
    ok,
    noFailures,
    failed,
    tally,
    notEnded,
    retrans: uac.retransmissions,
    sustained,
    answerRatio,
    pdd: inviteTo200Ms(timings),
    breakdown: pddBreakdown(timings, tally),
    cpu: `${cpu}; ${held}`,
    why,
  };
}

/**
 * The post-dial delay of the calls of a step cut where the app sees it: INVITE sent -> the append of
 * LegInitiated begins (engine, sip-edge, the offer fact over JetStream, the orchestrator's consumer) ->
 * LegInitiated on NATS (commit, relay) -> the 200 reaches sipp (AnswerLeg: orchestrator, sip-edge,
 * media-worker, rtpengine, the 200 sent); the AnswerLeg RPC returns after LegAnswered is recorded.
 */
function pddBreakdown(timings: Map<string, InviteTiming>, tally: Tally): string {
  const parts: Record<string, number[]> = {
    'invite->append': [],
    'append->app': [],
    'app->200': [],
    AnswerLeg: [],
  };
  for (const [callId, timing] of timings) {
    const answer = tally.answers.get(callId);
    if (!answer || timing.okAt === undefined || answer.answeredAt === undefined) continue;
    parts['invite->append']!.push(answer.recordedAt - timing.inviteAt);
    parts['append->app']!.push(answer.seenAt - answer.recordedAt);
    parts['app->200']!.push(timing.okAt - answer.seenAt);
    parts.AnswerLeg!.push(answer.answeredAt - answer.seenAt);
  }
  return Object.entries(parts)
    .map(([name, values]) => `${name} ${ms(quantile(values, 0.5))}/${ms(quantile(values, 0.99))}`)
    .join(', ');
}

function stepLine(step: InboundStep): string {
  return (
    `${String(step.rate).padStart(5)} cps ${String(step.calls).padStart(6)} ${String(step.failed).padStart(6)} ` +
    `${String(step.tally.rpcFailures).padStart(7)} ${String(step.notEnded).padStart(9)} ` +
    `${String(step.retrans).padStart(7)} ${String(Math.round(step.sustained)).padStart(9)} ` +
    `${step.answerRatio.toFixed(2).padStart(8)} ` +
    `${ms(quantile(step.pdd, 0.5)).padStart(9)} ${ms(quantile(step.pdd, 0.99)).padStart(9)}  ` +
    `${step.ok ? 'ok  ' : step.noFailures ? 'SLOW' : 'FAIL'}  ${step.cpu}\n      PDD p50/p99: ${step.breakdown}${step.why}`
  );
}

/** `rate: failed` (sipp's count), with the app's RPC failures and unended calls when there were any. */
function failedCalls(step: InboundStep): string {
  const more = [
    step.tally.rpcFailures ? `${step.tally.rpcFailures} app RPC errors` : '',
    step.notEnded ? `${step.notEnded} not ended in the log` : '',
  ].filter(Boolean);
  return `${step.rate}: ${step.failed}${more.length ? ` (${more.join(', ')})` : ''}`;
}

/** CreateCall -> INVITE at a sipp UAS, OUTBOUND_CALLS calls at OUTBOUND_RATE, each hung up on answer. */
async function outboundDelays(p: PlatformUnderTest, app: AnsweringApp, dir: string) {
  const trace = join(dir, 'uas.csv');
  const uas = await startSipp({
    scenario: UAS_SCENARIO,
    calls: OUTBOUND_CALLS,
    timeoutMs: (OUTBOUND_CALLS / OUTBOUND_RATE) * 1000 + 60_000,
    traceMessages: false,
    // The UAS's SDP names a port nobody listens on: nothing is played on these calls, so no RTP goes there.
    args: [
      '-key',
      'rtp_port',
      String(await freePort()),
      '-buff_size',
      UDP_BUFFER,
      ...shortMessageArgs(trace),
    ],
  });
  app.resetTally();
  const dialledAt = new Map<string, number>();
  const dials: Promise<void>[] = [];
  for (let i = 0; i < OUTBOUND_CALLS; i++) {
    const user = `out-${i}`;
    dialledAt.set(user, epochMs());
    dials.push(app.dial(`sip:${user}@127.0.0.1:${uas.port}`, `bench-dial-${i}-${Date.now()}`));
    await sleep(1000 / OUTBOUND_RATE);
  }
  await Promise.all(dials);
  await waitFor('outbound calls ended', () => app.tally.callsEnded >= OUTBOUND_CALLS, SETTLE_MS, 50).catch(
    () => undefined,
  );
  const result = await uas.stop(5000);
  const tally = app.resetTally();
  const arrivals = inviteArrivals(trace);
  const delays = [...dialledAt]
    .map(([user, at]) => (arrivals.has(user) ? arrivals.get(user)! - at : NaN))
    .filter((delay) => !Number.isNaN(delay));
  return {
    delays,
    failed: OUTBOUND_CALLS - delays.length + tally.rpcFailures + result.failedCalls,
    line:
      `${OUTBOUND_CALLS} calls at ${OUTBOUND_RATE} cps: ${delays.length} INVITEs arrived, uas ${result.successfulCalls} ` +
      `ok / ${result.failedCalls} failed, app RPC failures ${tally.rpcFailures}` +
      (tally.errors.length ? ` (${tally.errors.join(' | ')})` : ''),
  };
}

interface Ladder {
  variant: Variant;
  steps: InboundStep[];
  fullStack: MaxRate;
  best: InboundStep | undefined;
  highest: InboundStep | undefined;
}

/** The inbound steps at RATES, up to the first with failed calls, with one announcement. */
async function inboundLadder(
  p: PlatformUnderTest,
  app: AnsweringApp,
  dir: string,
  variant: Variant,
): Promise<Ladder> {
  const what = {
    file: 'PlayMedia 1 s',
    say: 'Say a unique sentence',
    record: 'StartRecording (dual), PlayMedia 1 s',
    transfer: 'TransferLeg (BRIDGE) to a sipp UAS, bridged on its answer, Hangup on TransferCompleted',
  }[variant];
  console.log(
    `inbound (${variant}): sipp uac -> engine -> sip-edge -> orchestrator -> app AnswerLeg, ${what}` +
      (variant === 'transfer' ? '' : ', Hangup on PlaybackFinished'),
  );
  console.log(
    '  offered  calls failed rpc-err not-ended retrans sustained kept-up   PDD p50   PDD p99  step  (then CPU, PDD parts)',
  );
  console.log(
    '  (step: ok; SLOW = 0 failed calls but the answers fell behind the INVITEs; FAIL = calls failed)',
  );
  const steps: InboundStep[] = [];
  for (const rate of RATES) {
    const step = await inboundStep(p, app, dir, rate, rate * STEP_S, { transfer: variant === 'transfer' });
    steps.push(step);
    console.log(`  ${stepLine(step)}`);
    // A step that fell behind still drains (its calls all ended above): the next one starts afresh.
    if (!step.noFailures) break;
    await sleep(1000);
  }
  const passed = steps.filter((step) => step.ok);
  const best = passed[passed.length - 1];
  const withoutFailures = steps.filter((step) => step.noFailures);
  return {
    variant,
    steps,
    fullStack: { cps: best?.rate ?? 0, atLadderTop: best?.rate === RATES[RATES.length - 1] },
    best,
    highest: withoutFailures[withoutFailures.length - 1],
  };
}

/**
 * What a variant adds per call: the platform's CPU per call of its ladder and the file ladder's at the
 * highest rate both carried without failures, side by side from the same run. The callers here send no RTP
 * (sipp signals only), so for `record` this is the control plane, the forks and the files of silence (the
 * recorder's cost per packet is the concurrent-recordings benchmark's); for `transfer` the dial of the target
 * and the bridge's two re-INVITEs.
 */
function costOf(ladders: readonly Ladder[], variant: 'record' | 'transfer'): string | undefined {
  const file = ladders.find((ladder) => ladder.variant === 'file');
  const other = ladders.find((ladder) => ladder.variant === variant);
  if (!file || !other) return undefined;
  const cpuAt = (ladder: Ladder, rate: number) => {
    const step = ladder.steps.find((s) => s.rate === rate && s.noFailures);
    const value = step ? /= platform ([\d.]+)/.exec(step.cpu)?.[1] : undefined;
    return value === undefined ? undefined : Number(value);
  };
  const rates = other.steps.map((s) => s.rate).filter((rate) => cpuAt(file, rate) && cpuAt(other, rate));
  const rate = rates[rates.length - 1];
  const label = `${variant === 'record' ? 'recording' : 'transfer'} cost per call`;
  if (rate === undefined) return `${label.padEnd(42)}- (no rate both ladders carried)`;
  const [withVariant, without] = [cpuAt(other, rate)!, cpuAt(file, rate)!];
  return (
    `${`${label} at ${rate} cps`.padEnd(42)}${(withVariant - without).toFixed(1)} ms/call ` +
    `(${variant} ${withVariant.toFixed(1)} / file ${without.toFixed(1)} = ${(withVariant / without).toFixed(2)})`
  );
}

/** `platform N.N` from a step's CPU line: the CPU per call that the variants compare. */
const platformCpuPerCall = (cpu: string) => /= platform ([\d.]+)/.exec(cpu)?.[1]?.concat(' ms/call') ?? '-';

const pddOfSay = (values: number[]) =>
  `p50 ${ms(quantile(values, 0.5))}, p99 ${ms(quantile(values, 0.99))} (${values.length} calls)`;

/** What runs now, for stopPlatform (after the measurements, on failure and on Ctrl-C). */
const running: {
  platform?: PlatformUnderTest;
  files?: ToneServer;
  nc?: NatsConnection;
  app?: AnsweringApp;
  dir?: string;
} = {};

let stopping: Promise<void> | undefined;

/** Stops what runs now; concurrent callers (a signal during a failing step) share one stop. */
function stopPlatform(): Promise<void> {
  stopping ??= stopRunning().finally(() => (stopping = undefined));
  return stopping;
}

async function stopRunning(): Promise<void> {
  const { platform, files, nc, app, dir } = running;
  running.platform = running.files = running.nc = running.app = running.dir = undefined;
  try {
    app?.stop();
    await nc?.close().catch(() => undefined);
    await files?.close();
    if (platform && LOG_DIR) keepLogs(platform);
    // After Ctrl-C the services may have died first: whatever close() cannot do, the database still goes.
    await platform?.close().catch(async (error: unknown) => {
      console.error(`stopping the platform: ${String(error)}`);
      await platform.db.drop();
    });
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** The services' logs (the first 4 MiB of each, as the process fixture keeps them), for a diagnosis. */
function keepLogs(p: PlatformUnderTest): void {
  mkdirSync(LOG_DIR, { recursive: true });
  for (const service of platformServices(p))
    writeFileSync(join(LOG_DIR, `${service.name}.log`), service.output());
  console.log(`service logs in ${LOG_DIR}`);
}

async function main(): Promise<void> {
  requireBinary('sipp', 'sip-tester');
  const dir = mkdtempSync(join(tmpdir(), 'full-stack-bench-'));
  running.dir = dir;
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `full-stack benchmark: ${STEP_S} s steps, ${cpus().length} cores, load average ${load}` +
      (SYNCHRONOUS_COMMIT ? `, test database with synchronous_commit = ${SYNCHRONOUS_COMMIT}` : ''),
  );
  const p = (running.platform = await startPlatform(
    {},
    {
      rtpengineMediaPorts: MEDIA_PORTS,
      watchEvents: false,
      mediaServices: VARIANTS.includes('say') || SAY_CALLS > 0,
      recording: VARIANTS.includes('record'),
      ...(RTPENGINE_ARGS.length > 0 ? { rtpengineArgs: RTPENGINE_ARGS } : {}),
    },
  ));
  if (SYNCHRONOUS_COMMIT) {
    // A what-if for the diagnosis: the orchestrator's connections are opened anew with the setting.
    setDatabaseOption(p.db.url, 'synchronous_commit', SYNCHRONOUS_COMMIT);
    await p.killOrchestrator();
    await p.startOrchestrator();
    // The API client's channel backs off after the old process went away: connected again before calls.
    await p.api.waitForReady(10_000);
  }
  makeToneFile(dir, 'tone-1s.wav', 1, 1000);
  const files = (running.files = await serveFiles(dir));
  const nc = (running.nc = await connectBus({ servers: p.edge.nats.url, name: 'full-stack-bench-app' }));
  const app = (running.app = new AnsweringApp(p.api, nc, { kind: 'url', url: files.url('tone-1s.wav') }));
  await app.start();

  // Warm-up (not counted): connections, the media file in the media-worker's cache, then enough calls for
  // the services' hot paths to be compiled (V8 optimises a function after many calls), so that the first
  // step measures a running platform, not one that has just started. Only their calls count.
  for (const [rate, calls] of [
    [1, 1],
    [20, WARM_UP_CALLS],
  ] as const) {
    const warm = await inboundStep(p, app, dir, rate, calls, { judgeRate: false });
    if (!warm.ok) throw new Error(`the platform failed its warm-up calls:\n${stepLine(warm)}`);
  }

  const idle = new CpuMeter(p);
  await sleep(IDLE_MS);
  idle.stop();
  await sleep(1100);
  console.log(`idle platform, ${IDLE_MS / 1000} s without calls: ${idle.reportIdle()}`);

  // The cached Say first, on a platform at rest: after a ladder whose top step overloaded the tts service,
  // its queue and the services' backlogs would still be draining and the figure would measure that.
  let sayLatency: number[] | undefined;
  if (SAY_CALLS > 0 && p.edge.tts) {
    app.announce({ kind: 'say', text: () => CACHED_SENTENCE });
    const step = await inboundStep(p, app, dir, SAY_RATE, SAY_CALLS, { judgeRate: false });
    sayLatency = step.tally.sayToStarted;
    console.log(
      `cached Say -> PlaybackStarted on NATS, ${SAY_CALLS} calls at ${SAY_RATE} cps: ${pddOfSay(sayLatency)}` +
        `${step.noFailures ? '' : `; FAILED: ${failedCalls(step)}${step.why}`}`,
    );
  }
  const ladders: Ladder[] = [];
  for (const variant of VARIANTS) {
    // The transfer variant announces its target per step (inboundStep starts it).
    app.announce(
      variant === 'say'
        ? { kind: 'say', text: uniqueSentence }
        : { kind: 'url', url: files.url('tone-1s.wav') },
    );
    app.record(variant === 'record');
    ladders.push(await inboundLadder(p, app, dir, variant));
  }

  let outbound: Awaited<ReturnType<typeof outboundDelays>> | undefined;
  if (OUTBOUND_CALLS > 0) {
    outbound = await outboundDelays(p, app, dir);
    console.log(`outbound: CreateCall -> INVITE at a sipp UAS: ${outbound.line}`);
  }
  await stopPlatform();

  let engine: MaxRate | undefined;
  if (ENGINE_RATES.length > 0) {
    console.log("engine only (the SIP-engine benchmark's step): sipp uac -> engine + srf UAS");
    engine = await maxRate('engine-only', ENGINE_RATES, (rate) => engineStep('uas', rate));
  }

  const cps = (figure: MaxRate) => `${figure.atLadderTop ? '>= ' : ''}${figure.cps} cps`;
  const pddOf = (values: number[]) => `p50 ${ms(quantile(values, 0.5))}, p99 ${ms(quantile(values, 0.99))}`;
  console.log('\nsummary');
  for (const ladder of ladders) {
    const { variant, fullStack, best, highest, steps } = ladder;
    // The file variant keeps the label older revisions printed, so that bench-compare pairs them.
    const tag = variant === 'file' ? '' : `${variant}: `;
    const label = `${tag}full-stack sustained (0 failed, kept up)`;
    console.log(
      `  ${label.padEnd(Math.max(42, label.length + 2))}${cps(fullStack)} (target >= ${TARGETS.cps})`,
    );
    if (highest && highest.rate !== best?.rate) {
      console.log(
        `  highest step with 0 failed calls          ${highest.rate} cps, answers lagging ` +
          `(kept-up ${highest.answerRatio.toFixed(2)}, PDD p99 ${ms(quantile(highest.pdd, 0.99))})`,
      );
    }
    console.log(`  failed calls per step                     ${steps.map(failedCalls).join(', ')}`);
    const pddStep = best ?? steps[0];
    if (pddStep) {
      console.log(
        `  ${tag}PDD INVITE in -> 200 out at ${pddStep.rate} cps       ${pddOf(pddStep.pdd)} (target p99 <= ${TARGETS.pddP99Ms} ms)`,
      );
      console.log(
        `  ${tag}CPU at ${pddStep.rate} cps                           ${platformCpuPerCall(pddStep.cpu)}`,
      );
    }
  }
  const [first, second] = ladders;
  if (first && second && first.fullStack.cps > 0)
    console.log(
      `  ratio ${second.variant} / ${first.variant} sustained                ${(second.fullStack.cps / first.fullStack.cps).toFixed(2)}`,
    );
  for (const variant of ['record', 'transfer'] as const) {
    const cost = costOf(ladders, variant);
    if (cost) console.log(`  ${cost}`);
  }
  if (sayLatency)
    console.log(
      `  cached Say -> PlaybackStarted at ${SAY_RATE} cps   ${pddOfSay(sayLatency)} (target p99 <= ${TARGETS.sayP99Ms} ms)`,
    );
  if (outbound) {
    console.log(
      `  PDD CreateCall -> INVITE out at ${OUTBOUND_RATE} cps   ${pddOf(outbound.delays)} (target p99 <= ${TARGETS.pddP99Ms} ms)` +
        (outbound.failed ? `; ${outbound.failed} outbound calls failed` : ''),
    );
  }
  if (engine) {
    console.log(`  engine only (engine + srf UAS)            ${cps(engine)}`);
    const fileStack = ladders.find((ladder) => ladder.variant === 'file')?.fullStack ?? { cps: 0 };
    const ratio = engine.cps ? (fileStack.cps / engine.cps).toFixed(2) : '-';
    console.log(`  ratio full-stack / engine-only            ${engine.atLadderTop ? '<= ' : ''}${ratio}`);
  }
  console.log(
    `  load average at the end                   ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

cleanUpOnExit(stopPlatform);
main().catch(async (error: unknown) => {
  console.error(error);
  await stopPlatform().catch(() => undefined);
  process.exit(1);
});
