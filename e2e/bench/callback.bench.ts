// Issue 17's figures: how many callbacks per second the callback service carries with 0 failed, and the IIF
// round trip REQUEST -> ACK (target p99 <= 20 ms at 20 requests/s). Everything is real and in its own
// process: nats-server, PostgreSQL (a test database for the platform, another for the callback service),
// rtpengine, sip-engine, media-worker, tts (the default announcement 00080002 is spoken), call-orchestrator,
// sip-edge and the callback service (e2e/support/callback-service.ts), with a sipp UAS for every user1 and
// another for every user2. This process is the application server: it sends the REQUESTs from the peer
// address the service allows, acknowledges each RESPONSE, and follows the callbacks on CALLBACK_EVENTS.
//
// Every callback: REQUEST -> ACK; the service calls user1, whose sipp answers at once
// (scenarios/bench-callback-user1-uas.xml); the announcement is spoken to user1 while user2 is dialled; user2's
// sipp answers at once and hangs up 1 s later (bench-callback-user2-uas-bye-after-1s.xml), following the
// bridge's re-INVITE meanwhile; the platform releases user1; CallbackEnded (USER2_HANGUP) and RESPONSE
// (real_duration 1) follow. A callback counts as ok when its ACK said ok, user1 and user2 were bridged, it
// ended with USER1_HANGUP or USER2_HANGUP and its RESPONSE arrived; anything else (ACK fail or none, user2
// hanging up before the service bridged it, another end, CallbackFailed, no RESPONSE within SETTLE_MS after the
// last REQUEST, a sipp call failed) is a failed callback.
//
//   1. warm-up (not counted): CALLBACK_BENCH_WARM_UP callbacks at 10/s;
//   2. the IIF round trip: CALLBACK_BENCH_IIF_RATE requests/s for CALLBACK_BENCH_IIF_S seconds, every callback
//      placed: REQUEST sent -> ACK received at this socket, p50/p99/max; this step's CPU per callback is the
//      summary's (a fixed rate, so that bench-compare compares like with like);
//   3. the ladder: CALLBACK_BENCH_RATES callbacks/s for CALLBACK_BENCH_STEP_S seconds each, up to the first
//      step with a failed callback. A step passes with 0 failed and the service keeping up: REQUEST ->
//      RESPONSE p99 within KEPT_UP_SLACK_MS of its p50 (a backlog that grows over the step shows there first);
//      SLOW = 0 failed but lagging.
// Per step: callbacks, acked ok, bridged, ended ok, failed, RESPONSEs, ACK and REQUEST -> RESPONSE p50/p99, CPU per
// callback of the callback service and of its database's backends, of the orchestrator and of its database's
// backends, the rest of the platform, the ratio callback / orchestrator, and the callback service's RSS.
//
// Environment: CALLBACK_BENCH_RATES (default 5,10,20,40), CALLBACK_BENCH_STEP_S (default 30),
// CALLBACK_BENCH_IIF_RATE (default 20), CALLBACK_BENCH_IIF_S (default 30; 0 skips), CALLBACK_BENCH_WARM_UP
// (default 40 callbacks), CALLBACK_BENCH_LOG_DIR (keep the services' logs there), CALLBACK_BENCH_SERVICE_ENV
// (more settings of the callback service only, space-separated NAME=value: a what-if such as
// DATABASE_POOL_SIZE=20). A quick run (about a minute and a half with the start):
// CALLBACK_BENCH_STEP_S=10 CALLBACK_BENCH_IIF_S=10 CALLBACK_BENCH_RATES=10,20.
// It asserts nothing, and exits non-zero only when it could not measure.
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { CALLBACK_EVENTS_SUBJECTS, connectBus, eventSubjectToken, type NatsConnection } from '@callctl/bus';
import { callbackEvents } from '@callctl/proto';
import {
  cpuMs,
  freePort,
  idleMs,
  requireBinary,
  startSipp,
  waitFor,
  type RunningSipp,
} from '@callctl/testing';
import { iifRequest, parseIif } from '../support/callback-iif.js';
import {
  dialPlanByPrefix,
  startCallbackProcess,
  type CallbackServiceProcess,
} from '../support/callback-service.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { runBenchmark } from './child-cleanup.js';
import { pgMeter, type PgUse } from './pg-backends.js';
import { serviceComplaints } from './service-complaints.js';
import { quantile } from './sipp-timings.js';

const list = (name: string, fallback: number[]) =>
  process.env[name] ? process.env[name]!.split(',').map(Number) : fallback;
const RATES = list('CALLBACK_BENCH_RATES', [5, 10, 20, 40]);
const STEP_S = Number(process.env.CALLBACK_BENCH_STEP_S ?? 30);
const IIF_RATE = Number(process.env.CALLBACK_BENCH_IIF_RATE ?? 20);
const IIF_S = Number(process.env.CALLBACK_BENCH_IIF_S ?? 30);
const WARM_UP = Number(process.env.CALLBACK_BENCH_WARM_UP ?? 40);
const LOG_DIR = process.env.CALLBACK_BENCH_LOG_DIR ?? '';
const SERVICE_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  (process.env.CALLBACK_BENCH_SERVICE_ENV ?? '')
    .split(' ')
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const TARGET_ACK_P99_MS = 20;
const IDLE_MS = 5000;
/** How long the callbacks of a step may take to end and report after its last REQUEST. */
const SETTLE_MS = 30_000;
/** A step keeps up when REQUEST -> RESPONSE p99 is within this of its p50. */
const KEPT_UP_SLACK_MS = 2000;
/** The callbacks' own limit, far from the bench's (a user2 hangs up after 1 s). */
const DURATION_S = 60;
/** rtpengine media ports: two legs and the bridge per callback, ~100 callbacks up at once at 40/s. */
const MEDIA_PORTS = 4000;
const UDP_BUFFER = '4194304';
const SIPP_SPARE_CALLS = 20;
const SCENARIOS = join(__dirname, '..', 'scenarios');
const USER1_SCENARIO = join(SCENARIOS, 'bench-callback-user1-uas.xml');
const USER2_SCENARIO = join(SCENARIOS, 'bench-callback-user2-uas-bye-after-1s.xml');
const { CallbackEndCause } = callbackEvents;
const HANGUPS: ReadonlySet<callbackEvents.CallbackEndCause> = new Set([
  CallbackEndCause.CALLBACK_END_CAUSE_USER1_HANGUP,
  CallbackEndCause.CALLBACK_END_CAUSE_USER2_HANGUP,
]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/** One REQUEST and what became of it, as the application server sees it. */
interface Sent {
  id: string;
  /** performance.now() when the REQUEST left. */
  sentAt: number;
  ackMs?: number;
  ack?: string;
  /** ACKs received: a retransmitted ACK would count twice. */
  acks: number;
  callbackId?: string;
  bridged?: boolean;
  cause?: callbackEvents.CallbackEndCause;
  failed?: string;
  responseMs?: number;
  realDuration?: string;
  responses: number;
}

/**
 * The application server: one UDP socket on the peer address the service allows, sending REQUESTs and
 * acknowledging RESPONSEs (as seed 004's AS does), and a subscription to CALLBACK_EVENTS to learn how each
 * callback went (CallbackRequested names the request's id, CallbackBridged and CallbackEnded the rest).
 */
class ApplicationServer {
  private sent = new Map<string, Sent>();
  private readonly byCallback = new Map<string, Sent>();
  /** Datagrams that named no REQUEST of the current step, by method. */
  strays = new Map<string, number>();
  private subscription?: ReturnType<NatsConnection['subscribe']>;

  private constructor(
    private readonly socket: Socket,
    readonly port: number,
  ) {}

  static async open(): Promise<ApplicationServer> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const as = new ApplicationServer(socket, socket.address().port);
    socket.on('message', (data, from) => as.onDatagram(data.toString('utf8'), from.port));
    return as;
  }

  /** Follows the callbacks' events on NATS (a plain subscription sees what the relay publishes, live). */
  async follow(nc: NatsConnection): Promise<void> {
    const requested = eventSubjectToken('CallbackRequested');
    const bridged = eventSubjectToken('CallbackBridged');
    const ended = eventSubjectToken('CallbackEnded');
    const failed = eventSubjectToken('CallbackFailed');
    this.subscription = nc.subscribe(CALLBACK_EVENTS_SUBJECTS, {
      callback: (error, msg) => {
        if (error) return;
        const [, callbackId, type] = msg.subject.split('.');
        if (type === requested) {
          const event = callbackEvents.CallbackRequested.decode(msg.data);
          const one = this.sent.get(event.origin?.iifId ?? '');
          if (one) {
            one.callbackId = callbackId;
            this.byCallback.set(callbackId!, one);
          }
        } else if (type === bridged) {
          const one = this.byCallback.get(callbackId!);
          if (one) one.bridged = true;
        } else if (type === ended) {
          const one = this.byCallback.get(callbackId!);
          if (one) one.cause = callbackEvents.CallbackEnded.decode(msg.data).cause;
        } else if (type === failed) {
          const one = this.byCallback.get(callbackId!);
          const event = callbackEvents.CallbackFailed.decode(msg.data);
          if (one) one.failed = `${event.code}: ${event.message}`;
        }
      },
    });
    await nc.flush();
  }

  /** Starts a new step: what was sent before no longer counts. */
  begin(): void {
    this.sent = new Map();
    this.byCallback.clear();
    this.strays = new Map();
  }

  /** REQUESTs at `rate` per second for `seconds`, each at its own time (not in bursts); resolves after the last. */
  async offer(serviceIifPort: number, tag: string, rate: number, seconds: number): Promise<Sent[]> {
    const count = Math.round(rate * seconds);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 1) await sleep(wait);
      const id = `${tag}-${i}`;
      const text = iifRequest({ id, user1: `1${id}`, user2: `2${id}`, duration: DURATION_S });
      const one: Sent = { id, sentAt: performance.now(), acks: 0, responses: 0 };
      this.sent.set(id, one);
      this.socket.send(text, serviceIifPort, '127.0.0.1');
    }
    return [...this.sent.values()];
  }

  /** Every callback of the step settled: ACK fail, or (ended or failed) with its RESPONSE. */
  settled(): boolean {
    for (const one of this.sent.values()) {
      if (one.ack === 'fail') continue;
      if ((one.cause === undefined && one.failed === undefined) || one.responses === 0) return false;
    }
    return true;
  }

  private onDatagram(text: string, fromPort: number): void {
    const at = performance.now();
    const { method, params } = parseIif(text);
    const one = this.sent.get(params.id ?? '');
    if (method === 'RESPONSE' && params.id !== undefined) {
      // Acknowledged whatever it names: an unacknowledged RESPONSE is resent, which is not what is measured.
      this.socket.send(`ACK: id=${params.id};code=ok`, fromPort, '127.0.0.1');
    }
    if (!one || (method !== 'ACK' && method !== 'RESPONSE')) {
      const key = method ?? 'unparseable';
      this.strays.set(key, (this.strays.get(key) ?? 0) + 1);
      return;
    }
    if (method === 'ACK') {
      one.acks++;
      if (one.ack === undefined) {
        one.ack = params.code;
        one.ackMs = at - one.sentAt;
      }
    } else {
      one.responses++;
      if (one.responseMs === undefined) {
        one.responseMs = at - one.sentAt;
        one.realDuration = params.real_duration;
      }
    }
  }

  async close(): Promise<void> {
    this.subscription?.unsubscribe();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** What each process of a step used, per callback, and the callback service's memory. */
interface StepCpu {
  /** ms of CPU per callback, by process (pg-cb and pg-orch: the backends of each database). */
  perCallback: Record<string, number>;
  /** The platform without the callback service and its database. */
  platform: number;
  rssMiB: number;
  peakRssMiB: number;
  box: number;
  /** Share of one core of the busiest processes. */
  busiest: string;
  /** Share of one core of every process (pg-*: the database's backends), %. */
  shares: Record<string, number>;
}

/** The processes measured, by short name. */
function processes(p: PlatformUnderTest, cb: CallbackServiceProcess): Record<string, number> {
  const pid = (service: { process: { child: { pid?: number } } }) => service.process.child.pid ?? -1;
  return {
    callback: pid(cb.process),
    orch: pid(p.orchestrator),
    edge: pid(p.edge.sipEdge),
    engine: pid(p.edge.engine),
    media: pid(p.edge.mediaWorker),
    rtpe: pid(p.edge.rtpengine),
    nats: pid(p.edge.nats),
    ...(p.edge.tts ? { tts: pid(p.edge.tts) } : {}),
  };
}

/** VmRSS and VmHWM (the peak) of a process, MiB. */
function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** CPU of every process and of both databases' backends from now until stop(). */
function cpuMeter(p: PlatformUnderTest, cb: CallbackServiceProcess) {
  const pids = processes(p, cb);
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const pgCallback = pgMeter(cb.db.url);
  const pgPlatform = pgMeter(p.db.url);
  const idle0 = idleMs();
  const t0 = Date.now();
  return async (callbacks: number): Promise<StepCpu> => {
    const wallMs = Date.now() - t0;
    const box = Math.round(100 * (1 - (idleMs() - idle0) / (cpus().length * wallMs)));
    const used: Record<string, number> = Object.fromEntries(
      // A process that died meanwhile reads 0: its share is lost, not negative.
      Object.entries(pids).map(([name, pid]) => [name, Math.max(0, cpuMs(pid) - before[name]!)]),
    );
    const { rss, peak } = memoryMiB(pids.callback!);
    // The databases' statistics reach pg_stat_database up to a second after their backends went idle.
    await sleep(1100);
    const pg: [PgUse, PgUse] = [pgCallback(), pgPlatform()];
    used['pg-cb'] = pg[0].cpuMs;
    used['pg-orch'] = pg[1].cpuMs;
    const perCallback = Object.fromEntries(
      Object.entries(used).map(([name, value]) => [name, value / Math.max(1, callbacks)]),
    );
    const platform = Object.entries(perCallback)
      .filter(([name]) => name !== 'callback' && name !== 'pg-cb')
      .reduce((sum, [, value]) => sum + value, 0);
    const busiest = Object.entries(used)
      .filter(([name]) => !name.startsWith('pg-'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([name, value]) => `${name} ${Math.round((100 * value) / wallMs)}%`)
      .join(', ');
    const shares = Object.fromEntries(
      Object.entries(used).map(([name, value]) => [name, (100 * value) / wallMs]),
    );
    return { perCallback, platform, rssMiB: rss, peakRssMiB: peak, box, busiest, shares };
  };
}

interface StepResult {
  label: string;
  rate: number;
  callbacks: number;
  ackedOk: number;
  bridged: number;
  endedOk: number;
  /** RESPONSE real_duration values, `1 s x598, 0 s x2`. */
  durations: string;
  failed: number;
  responses: number;
  ackMs: number[];
  responseMs: number[];
  /** 0 failed and kept up. */
  ok: boolean;
  noFailures: boolean;
  cpu: StepCpu;
  why: string;
}

/** The users' sipps of one step, on the ports the dial plan names, taking `calls` calls each. */
async function startUsers(ports: { user1: number; user2: number }, calls: number, seconds: number) {
  const common = {
    // Room for strays (a request of a call sipp gave up on counts as a call of its own), so that they do
    // not leave the step's last users unanswered; the step stops them once its callbacks settled.
    calls: calls + SIPP_SPARE_CALLS,
    timeoutMs: (seconds + SETTLE_MS / 1000 + 60) * 1000,
    traceMessages: false,
  };
  // The SDPs name a port nobody reads: the announcement's RTP to user1 is not what is measured.
  const args = async () => ['-key', 'rtp_port', String(await freePort()), '-buff_size', UDP_BUFFER];
  const user1 = await startSipp({
    scenario: USER1_SCENARIO,
    port: ports.user1,
    ...common,
    args: await args(),
  });
  const user2 = await startSipp({
    scenario: USER2_SCENARIO,
    port: ports.user2,
    ...common,
    args: await args(),
  });
  return { user1, user2 };
}

/**
 * The first of sipp's error log entries that say why a call failed: each entry starts with its date, and
 * the notes of a reception's timeout jumping to its label (the scenario's own way on) are left out.
 */
function sippErrors(errors: string): string {
  return errors
    .split(/(?=\d{4}-\d{2}-\d{2}\t)/)
    .filter((entry) => /^\d{4}-/.test(entry) && !entry.includes('jumping to label'))
    .slice(0, 3)
    .map((entry) => entry.replace(/\s+/g, ' ').slice(0, 300))
    .join(' | ');
}

/** Each distinct value with its count, the most frequent first: `1 s x598, 0 s x2`. */
function tally(values: string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([value, n]) => `${value} x${n}`)
    .join(', ');
}

/** Why the callbacks that did not end well did not, counted by reason. */
function failureReasons(sent: Sent[]): string {
  const reasons = new Map<string, number>();
  const count = (reason: string) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  for (const one of sent) {
    if (one.ack === undefined) count('no ACK');
    else if (one.ack !== 'ok') count(`ACK code=${one.ack}`);
    else if (one.failed) count(`CallbackFailed ${one.failed.slice(0, 80)}`);
    else if (one.cause === undefined) count(one.callbackId ? 'not ended' : 'not requested on NATS');
    else if (!HANGUPS.has(one.cause)) count(`ended ${callbackEvents.callbackEndCauseToJSON(one.cause)}`);
    else if (!one.bridged) count('ended before user1 and user2 were bridged');
    if (one.ack === 'ok' && one.responses === 0) count('no RESPONSE');
  }
  return [...reasons].map(([reason, n]) => `${n}x ${reason}`).join(', ');
}

async function runStep(
  run: Running,
  label: string,
  rate: number,
  seconds: number,
  options: { judgeRate?: boolean } = {},
): Promise<StepResult> {
  const { platform: p, callback: cb, as } = run;
  const calls = Math.round(rate * seconds);
  const users = await startUsers(run.userPorts, calls, seconds);
  run.sipps.add(users.user1).add(users.user2);
  const watched = [cb.process, p.orchestrator, p.edge.sipEdge, p.edge.mediaWorker];
  const marks = watched.map((service) => service.output().length);
  as.begin();
  const meter = cpuMeter(p, cb);
  const sent = await as.offer(cb.iifPort, label, rate, seconds);
  await waitFor('callbacks settled', () => as.settled(), SETTLE_MS, 50).catch(() => undefined);
  const cpu = await meter(calls);
  const [user1, user2] = [await users.user1.stop(5000), await users.user2.stop(5000)];
  run.sipps.delete(users.user1);
  run.sipps.delete(users.user2);
  const good = (one: Sent) =>
    one.ack === 'ok' && one.bridged && one.cause !== undefined && HANGUPS.has(one.cause) && one.responses > 0;
  const endedOk = sent.filter((one) => one.cause !== undefined && HANGUPS.has(one.cause)).length;
  const sippFailed = user1.failedCalls + user2.failedCalls;
  const failed = Math.max(sent.filter((one) => !good(one)).length, sippFailed);
  const ackMs = sent.flatMap((one) => (one.ackMs === undefined ? [] : [one.ackMs]));
  const responseMs = sent.flatMap((one) => (one.responseMs === undefined ? [] : [one.responseMs]));
  const lag = quantile(responseMs, 0.99) - quantile(responseMs, 0.5);
  const noFailures = failed === 0;
  const keptUp = !(options.judgeRate ?? true) || lag <= KEPT_UP_SLACK_MS;
  const strays = [...as.strays].map(([method, n]) => `${n} ${method}`).join(', ');
  const why = [
    noFailures ? '' : `\n      callbacks: ${failureReasons(sent)}`,
    sippFailed
      ? `\n      sipp: user1 ${user1.failedCalls} failed, user2 ${user2.failedCalls} failed: ${sippErrors(user1.errors + user2.errors)}`
      : '',
    strays ? `\n      datagrams naming no REQUEST of the step: ${strays}` : '',
    noFailures ? '' : serviceComplaints(watched, marks),
  ].join('');
  return {
    label,
    rate,
    callbacks: calls,
    ackedOk: sent.filter((one) => one.ack === 'ok').length,
    bridged: sent.filter((one) => one.bridged).length,
    endedOk,
    durations: tally(
      sent.flatMap((one) => (one.realDuration === undefined ? [] : [`${one.realDuration} s`])),
    ),
    failed,
    responses: sent.filter((one) => one.responses > 0).length,
    ackMs,
    responseMs,
    ok: noFailures && keptUp,
    noFailures,
    cpu,
    why,
  };
}

const HEADER =
  '    rate callbacks acked-ok  bridged ended-ok failed RESPONSEs ACK-p50 ACK-p99 RESP-p50 RESP-p99 cb-cpu cb-pg orch-cpu orch-pg platform cb/orch cb-rss  step';
const LEGEND =
  '  (ACK: REQUEST -> ACK, RESP: REQUEST -> RESPONSE, ms; cpu and pg: ms of CPU per callback of the process and of\n' +
  '   its database backends; platform: everything but the callback service and its database; cb-rss: MiB at\n' +
  '   the end of the step; step: ok, SLOW = 0 failed but REQUEST -> RESPONSE p99 over p50 + 2 s, FAIL)';

function stepLine(s: StepResult): string {
  const c = s.cpu.perCallback;
  const ratio = (c.orch ?? 0) > 0 ? (c.callback ?? 0) / c.orch! : NaN;
  const cols = [
    `${s.label === 'iif' ? 'iif ' : ''}${s.rate}/s`.padStart(8),
    String(s.callbacks).padStart(9),
    String(s.ackedOk).padStart(8),
    String(s.bridged).padStart(8),
    String(s.endedOk).padStart(8),
    String(s.failed).padStart(6),
    String(s.responses).padStart(9),
    ms(quantile(s.ackMs, 0.5), 2).padStart(7),
    ms(quantile(s.ackMs, 0.99), 2).padStart(7),
    ms(quantile(s.responseMs, 0.5), 0).padStart(8),
    ms(quantile(s.responseMs, 0.99), 0).padStart(8),
    ms(c.callback ?? NaN, 2).padStart(6),
    ms(c['pg-cb'] ?? NaN, 2).padStart(5),
    ms(c.orch ?? NaN, 2).padStart(8),
    ms(c['pg-orch'] ?? NaN, 2).padStart(7),
    ms(s.cpu.platform, 2).padStart(8),
    ms(ratio, 2).padStart(7),
    ms(s.cpu.rssMiB, 1).padStart(6),
    ` ${s.ok ? 'ok' : s.noFailures ? 'SLOW' : 'FAIL'}`,
  ];
  const each = Object.entries(c)
    .map(([name, value]) => `${name} ${value.toFixed(2)}`)
    .join(' ');
  return (
    `${cols.join(' ')}\n      cpu ms/callback: ${each}; busiest (of one core): ${s.cpu.busiest}; box ${s.cpu.box}%; ` +
    `callback peak rss ${s.cpu.peakRssMiB.toFixed(1)} MiB; RESPONSE real_duration ${s.durations || 'none'}${s.why}`
  );
}

/** What runs now, for stop() (after the measurements, on failure and on Ctrl-C). */
interface Running {
  platform: PlatformUnderTest;
  callback: CallbackServiceProcess;
  as: ApplicationServer;
  nc: NatsConnection;
  userPorts: { user1: number; user2: number };
  sipps: Set<RunningSipp>;
}
const running: Partial<Running> & { sipps: Set<RunningSipp> } = { sipps: new Set() };
let stopping: Promise<void> | undefined;

/** Stops what runs now; concurrent callers (a signal during a failing step) share one stop. */
function stop(): Promise<void> {
  stopping ??= stopRunning().finally(() => (stopping = undefined));
  return stopping;
}

async function stopRunning(): Promise<void> {
  const { platform, callback, as, nc, sipps } = running;
  running.platform = running.callback = running.as = running.nc = undefined;
  for (const sipp of sipps) await sipp.stop(1000).catch(() => undefined);
  sipps.clear();
  if (LOG_DIR && platform && callback) keepLogs(platform, callback);
  await as?.close().catch(() => undefined);
  await nc?.close().catch(() => undefined);
  await callback?.close().catch(async (error: unknown) => {
    console.error(`stopping the callback service: ${String(error)}`);
    await callback.db.drop();
  });
  await platform?.close().catch(async (error: unknown) => {
    console.error(`stopping the platform: ${String(error)}`);
    await platform.db.drop();
  });
}

/** The services' logs (the first 4 MiB of each, as the process fixture keeps them), for a diagnosis. */
function keepLogs(p: PlatformUnderTest, cb: CallbackServiceProcess): void {
  mkdirSync(LOG_DIR, { recursive: true });
  writeFileSync(join(LOG_DIR, 'callback.log'), cb.output());
  for (const service of [p.orchestrator, p.edge.sipEdge, p.edge.engine, p.edge.mediaWorker])
    writeFileSync(join(LOG_DIR, `${service.name}.log`), service.output());
  console.log(`service logs in ${LOG_DIR}`);
}

async function start(): Promise<Running> {
  const platform = (running.platform = await startPlatform(
    {},
    { mediaServices: true, watchEvents: false, rtpengineMediaPorts: MEDIA_PORTS },
  ));
  const userPorts = { user1: await freePort(), user2: await freePort() };
  const as = (running.as = await ApplicationServer.open());
  const maxRate = Math.max(IIF_RATE, 10, ...RATES);
  const callback = (running.callback = await startCallbackProcess({
    natsUrl: platform.edge.nats.url,
    apiAddress: `127.0.0.1:${platform.orchestrator.grpcPort}`,
    dialPlan: dialPlanByPrefix({ '1': userPorts.user1, '2': userPorts.user2 }),
    peers: `bench=127.0.0.1:${as.port}`,
    // Admission far above the offered rates: the benchmark measures the service, not its limits.
    env: { CALLBACK_MAX_PER_SECOND: String(4 * maxRate), CALLBACK_MAX_ACTIVE: '100000', ...SERVICE_ENV },
  }));
  const nc = (running.nc = await connectBus({ servers: platform.edge.nats.url, name: 'callback-bench-as' }));
  await as.follow(nc);
  return { platform, callback, as, nc, userPorts, sipps: running.sipps };
}

async function main(): Promise<void> {
  requireBinary('sipp', 'sip-tester');
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(
    `callback benchmark (IIF round trip at ${IIF_RATE}/s for ${IIF_S} s; ladder ${RATES.join(',')} callbacks/s, ` +
      `${STEP_S} s each; ${cpus().length} cores, load average ${load()}` +
      `${process.env.CALLBACK_BENCH_SERVICE_ENV ? `; callback service with ${process.env.CALLBACK_BENCH_SERVICE_ENV}` : ''})`,
  );
  const run = await start();

  if (WARM_UP > 0) {
    const warm = await runStep(run, 'w', 10, WARM_UP / 10, { judgeRate: false });
    if (!warm.noFailures) throw new Error(`the warm-up callbacks failed:\n${HEADER}\n${stepLine(warm)}`);
  }
  // What the services spend with no callback at all (polls, timers, heartbeats): at a low rate, this is
  // most of the CPU per callback.
  const idle = cpuMeter(run.platform, run.callback);
  await sleep(IDLE_MS);
  const shares = (await idle(1)).shares;
  console.log(
    `idle (${IDLE_MS / 1000} s without callbacks; % of one core: ` +
      `${Object.entries(shares)
        .map(([name, value]) => `${name} ${value.toFixed(1)}`)
        .join(' ')})`,
  );
  console.log(HEADER);
  console.log(LEGEND);
  let iif: StepResult | undefined;
  if (IIF_S > 0) {
    iif = await runStep(run, 'iif', IIF_RATE, IIF_S);
    console.log(stepLine(iif));
    await sleep(1000);
  }
  const steps: StepResult[] = [];
  for (const rate of RATES) {
    const step = await runStep(run, `r${rate}`, rate, STEP_S);
    steps.push(step);
    console.log(stepLine(step));
    if (!step.noFailures) break;
    await sleep(1000);
  }
  await stop();

  const passed = steps.filter((step) => step.ok);
  const best = passed[passed.length - 1];
  const highest = steps.filter((step) => step.noFailures).pop();
  const atTop = best !== undefined && best.rate === RATES[RATES.length - 1];
  console.log('\nsummary');
  console.log(
    `  callbacks/s sustained (0 failed, kept up)   ${atTop ? '>= ' : ''}${best?.rate ?? 0} callbacks/s ` +
      `(ladder ${RATES.join(',')}; failed per step ${steps.map((s) => `${s.rate}/s: ${s.failed}`).join(', ')})`,
  );
  if (highest && highest.rate !== best?.rate)
    console.log(`  (highest step with 0 failed: ${highest.rate}/s, lagging)`);
  if (iif) {
    const c = iif.cpu.perCallback;
    console.log(
      `  IIF REQUEST -> ACK (at ${IIF_RATE}/s, ${iif.ackMs.length} ACKs of ${iif.callbacks})   ` +
        `p50 ${ms(quantile(iif.ackMs, 0.5), 2)} ms, p99 ${ms(quantile(iif.ackMs, 0.99), 2)} ms, ` +
        `max ${ms(Math.max(...iif.ackMs), 2)} ms (target p99 <= ${TARGET_ACK_P99_MS} ms; ${iif.failed} failed callbacks)`,
    );
    console.log(
      `  REQUEST -> RESPONSE (at ${IIF_RATE}/s)   p50 ${ms(quantile(iif.responseMs, 0.5), 0)} ms, p99 ${ms(quantile(iif.responseMs, 0.99), 0)} ms (user2 talks 1 s)`,
    );
    console.log(`  callback CPU per callback (at ${IIF_RATE}/s)   ${ms(c.callback ?? NaN, 2)} ms/callback`);
    console.log(
      `  callback database CPU per callback (at ${IIF_RATE}/s)   ${ms(c['pg-cb'] ?? NaN, 2)} ms/callback`,
    );
    console.log(`  orchestrator CPU per callback (at ${IIF_RATE}/s)   ${ms(c.orch ?? NaN, 2)} ms/callback`);
    console.log(`  platform CPU per callback (at ${IIF_RATE}/s)   ${ms(iif.cpu.platform, 2)} ms/callback`);
    console.log(
      `  ratio callback / orchestrator CPU per callback (at ${IIF_RATE}/s)   ${ms((c.callback ?? NaN) / (c.orch ?? NaN), 2)}`,
    );
  }
  const peak = Math.max(...[iif, ...steps].flatMap((s) => (s ? [s.cpu.peakRssMiB] : [])));
  console.log(`  callback peak RSS   ${ms(peak, 1)} MiB`);
  console.log(`  (load average at the end ${load()})`);
}

runBenchmark(main, stop);
