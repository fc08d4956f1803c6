// Issue 15's figures: how many monitored calls in whisper mode this box carries at once with the whole
// platform running, with 0 packets lost (target >= 100), the mixer's CPU per monitored call, and the
// latency the mixer path adds. Everything is real and in its own process: nats-server, PostgreSQL (a test
// database), rtpengine, sip-engine, media-worker, call-orchestrator, sip-edge and the mixer (started by
// the e2e support), sipp for the signalling of every caller, callee and supervisor, and the parties' RTP
// from three sender processes (services/recording/bench/rtp-flood.ts). The application acts on the public
// API only: Dial (bridged) for each inbound call, then MonitorCall in WHISPER mode to the callee.
//
// A ladder of N concurrent calls (MONITOR_BENCH_STEPS, default 50,100,150; it stops after the first step
// that loses packets, fails a call or falls behind: a role receiving under 99 % of one packet per 20 ms per
// call, which no sequence gap shows when the mixer's clock itself lags). For each step:
// - sipp calls in N times at MONITOR_BENCH_SETUP_RATE calls/s, each bridged to a sipp callee and monitored
//   by a sipp supervisor; every SDP of a role names that role's sender socket (callers, callees,
//   supervisors), so rtpengine sends each role's media back to one socket, where it is counted;
// - the senders send 20 ms PCMU to every leg's rtpengine port (caller 700 Hz, callee 1300 Hz, supervisor
//   2000 Hz) for MONITOR_BENCH_SECONDS (default 10) after a second of warm-up;
// - lost: the sequence numbers missing in what each role received (every stream a party receives in
//   whisper mode comes from the mixer through rtpengine), beside the kernel's drops at the mixer's and
//   rtpengine's sockets, which say where a loss happened;
// - the mixer's CPU per monitored call (ms of CPU per second, % of one core), rtpengine's and the
//   orchestrator's for context, and the mixer's own added latency per participant (GetRoom: p50/p99 of
//   the participants' added_latency_p50_us/p99_us);
// - after the ladder, on the platform still running, the mouth-to-ear delay one more call's caller -> callee path gains through the
//   mixer, measured by the test's own RTP endpoints from arrival times: PROBES tone onsets sent by the
//   caller, their first packet at the callee, once in LISTEN (the direct path) and once in WHISPER.
// It asserts nothing, and exits non-zero only when it could not measure.
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { callEvents, mixer as mixerApi } from '@callctl/proto';
import {
  RtpEndpoint,
  cpuMs,
  freePort,
  idleMs,
  inParallel,
  processUdpDrops,
  startSipp,
  waitFor,
  type ManagedProcess,
  type RunningSipp,
} from '@callctl/testing';
import { CALLEE_HZ, CALLER_HZ } from '../support/call-parties.js';
import { call } from '../support/edge-under-test.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { senderCounts } from '../../services/recording/bench/rtp-flood-counts.js';
import { AppEvents, rtpengineSide, rtpenginePort, startSender, type EventNotes } from './app-events.js';
import { runBenchmark } from './child-cleanup.js';
import { quantile } from './sipp-timings.js';

const STEPS = (process.env.MONITOR_BENCH_STEPS ?? '50,100,150').split(',').map(Number);
const SECONDS = Number(process.env.MONITOR_BENCH_SECONDS ?? 10);
const SETUP_RATE = Number(process.env.MONITOR_BENCH_SETUP_RATE ?? 10);
const PROBES = Number(process.env.MONITOR_BENCH_PROBES ?? 20);
const TARGET = 100;
/** A step keeps pace when every role received at least this share of what it sent. */
const MIN_PACE = 0.99;
const SUPERVISOR_HZ = 2000;
const MODE = callEvents.MonitorMode;
/** rtpengine ports per monitored call: three legs, two forks and the two mixer-facing re-offers, each RTP + RTCP. */
const RTPENGINE_PORTS_PER_CALL = 24;
/** The mixer's ports per monitored call: sup, fork-A, fork-B, in-A, in-B, with room for RTCP. */
const MIXER_PORTS_PER_CALL = 12;
/** RPCs of the application in flight at once. */
const PARALLEL = 10;
const SCENARIOS = join(__dirname, '..', 'scenarios');
const SERVICE = 'mon-bench';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let platform: PlatformUnderTest | undefined;
const children = new Set<ManagedProcess>();
const sipps = new Set<RunningSipp>();
async function stopPlatform(): Promise<void> {
  for (const sipp of sipps) await sipp.stop(1000).catch(() => undefined);
  for (const child of children) await child.stop().catch(() => undefined);
  await platform?.close();
  platform = undefined;
}

/** The monitors' events the benchmark waits for, beside the calls' (AppEvents). */
const monitorNotes: EventNotes = (event, note) => {
  if (event.$case === 'monitorStarted')
    note(`started:${event.monitorStarted.monitorId}`, event.monitorStarted);
  if (event.$case === 'monitorEnded')
    note(
      `ended:${event.monitorEnded.monitorId}`,
      callEvents.monitorEndReasonToJSON(event.monitorEnded.reason),
    );
};
type EventIndex = AppEvents;

interface MonitoredCall {
  callId: string;
  callerLeg: string;
  calleeLeg: string;
  monitorId: string;
  supervisorLeg: string;
}

/** Bridges an inbound call to the callee and has it monitored in WHISPER mode to the callee. */
async function monitorOne(
  p: PlatformUnderTest,
  index: EventIndex,
  inbound: { callId: string; legId: string },
  ports: { callee: number; supervisor: number },
): Promise<MonitoredCall> {
  const { callId, legId: callerLeg } = inbound;
  const { legId: calleeLeg } = await p.api.dial({
    callId,
    bridgeWithLegId: callerLeg,
    toUri: `sip:callee@127.0.0.1:${ports.callee}`,
    ringTimeoutMs: 10_000,
    idempotencyKey: `dial-${callId}`,
  });
  await index.wait(`bridged:${callId}`);
  const { monitorId } = await p.api.monitorCall({
    callId,
    supervisorUri: `sip:supervisor@127.0.0.1:${ports.supervisor}`,
    mode: MODE.MONITOR_MODE_WHISPER,
    whisperLegId: calleeLeg,
    ringTimeoutMs: 10_000,
    idempotencyKey: `monitor-${callId}`,
  });
  const started = await index.wait<callEvents.MonitorStarted>(`started:${monitorId}`);
  return { callId, callerLeg, calleeLeg, monitorId, supervisorLeg: started.supervisorLegId };
}

/** The three roles' signalling: one sipp each, every SDP naming the role's sender socket. */
async function startPhones(p: PlatformUnderTest, calls: number, sockets: Record<Role, number>) {
  const common = { timeoutMs: (calls / SETUP_RATE + SECONDS + 120) * 1000, traceMessages: false };
  const uas = (rtpPort: number) =>
    startSipp({
      scenario: join(SCENARIOS, 'uas-answers-expect-bye.xml'),
      calls,
      args: ['-key', 'rtp_port', String(rtpPort), '-buff_size', '4194304'],
      ...common,
    });
  const callee = await uas(sockets.callee);
  const supervisor = await uas(sockets.supervisor);
  const caller = await startSipp({
    scenario: join(SCENARIOS, 'uac-answered-expect-bye.xml'),
    remote: `127.0.0.1:${p.edge.engine.sipPort}`,
    service: SERVICE,
    rate: SETUP_RATE,
    calls,
    limit: calls + 10,
    args: ['-key', 'rtp_port', String(sockets.caller), '-buff_size', '4194304'],
    ...common,
  });
  for (const sipp of [callee, supervisor, caller]) sipps.add(sipp);
  return { caller, callee, supervisor };
}

type Role = 'caller' | 'callee' | 'supervisor';
const ROLES: Role[] = ['caller', 'callee', 'supervisor'];
const HZ: Record<Role, number> = { caller: CALLER_HZ, callee: CALLEE_HZ, supervisor: SUPERVISOR_HZ };

interface StepResult {
  calls: number;
  set: number;
  failed: string[];
  lost: Record<Role, number>;
  /** Packets each role received in the window. */
  received: Record<Role, number>;
  /**
   * What each role received against what it sent (one packet per 20 ms per call each way) over the window:
   * under 100 % the mixer fell behind its clock (fewer frames, no sequence number missing: not "lost", but
   * audio late and stretched).
   */
  pace: Record<Role, number>;
  mixerDrops: number;
  rtpengineDrops: number;
  mixerCpuMsPerCallSecond: number;
  mixerCoreShare: number;
  rtpengineCpuMsPerCallSecond: number;
  orchestratorCpuMsPerCallSecond: number;
  latencyUs: Awaited<ReturnType<typeof mixerLatency>>;
  box: number;
}

async function runStep(p: PlatformUnderTest, index: EventIndex, calls: number): Promise<StepResult> {
  const sockets = {
    caller: await freePort(),
    callee: await freePort(),
    supervisor: await freePort(),
  };
  const phones = await startPhones(p, calls, sockets);
  const failed: string[] = [];
  const monitored: MonitoredCall[] = [];
  // Each call is taken as soon as it is in the log: a caller left unanswered while the others arrive
  // would reach sip-edge's answer timeout.
  let taken = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (taken < calls) {
        taken++;
        let one: { callId: string; legId: string } | undefined;
        try {
          one = await index.nextInbound(30_000);
          const ports = { callee: phones.callee.port, supervisor: phones.supervisor.port };
          monitored.push(await monitorOne(p, index, one, ports));
        } catch (error) {
          failed.push(`${one?.callId ?? 'no call'}: ${String(error).slice(0, 200)}`);
        }
      }
    }),
  );
  const targets: Record<Role, number[]> = { caller: [], callee: [], supervisor: [] };
  await inParallel(monitored, PARALLEL, async (m) => {
    targets.caller.push(await rtpenginePort(p, index, m.callerLeg));
    targets.callee.push(await rtpenginePort(p, index, m.calleeLeg));
    targets.supervisor.push(await rtpenginePort(p, index, m.supervisorLeg));
  });
  const floods = {} as Record<Role, ManagedProcess>;
  for (const role of ROLES)
    floods[role] = await startSender(children, sockets[role], targets[role], HZ[role]);
  await sleep(1000);

  const mixerPid = p.edge.mixer!.process.child.pid!;
  const rtpenginePid = p.edge.rtpengine.process.child.pid!;
  const orchestratorPid = p.orchestrator.process.child.pid!;
  const before = {} as Record<Role, { sent: number; received: number }>;
  // The window starts here: what each sender lost so far is left out.
  for (const role of ROLES) before[role] = await senderCounts(floods[role]);
  const drops0 = { mixer: processUdpDrops(mixerPid), rtpengine: processUdpDrops(rtpenginePid) };
  const cpu0 = {
    mixer: cpuMs(mixerPid),
    rtpengine: cpuMs(rtpenginePid),
    orchestrator: cpuMs(orchestratorPid),
  };
  const idle0 = idleMs();
  const t0 = Date.now();
  await sleep(SECONDS * 1000);
  const wallMs = Date.now() - t0;
  const lost = {} as Record<Role, number>;
  const received = {} as Record<Role, number>;
  const pace = {} as Record<Role, number>;
  for (const role of ROLES) {
    const counts = await senderCounts(floods[role]);
    lost[role] = counts.lost;
    received[role] = counts.received - before[role].received;
    // Both counted by the sender between the same two asks: as many streams come back as it sends.
    pace[role] = received[role] / (counts.sent - before[role].sent);
  }
  const perCallSecond = (ms: number) => ms / monitored.length / (wallMs / 1000);
  const mixerCpu = cpuMs(mixerPid) - cpu0.mixer;
  const result: Omit<StepResult, 'latencyUs'> = {
    calls,
    set: monitored.length,
    failed,
    lost,
    received,
    pace,
    mixerDrops: processUdpDrops(mixerPid) - drops0.mixer,
    rtpengineDrops: processUdpDrops(rtpenginePid) - drops0.rtpengine,
    mixerCpuMsPerCallSecond: perCallSecond(mixerCpu),
    mixerCoreShare: mixerCpu / wallMs,
    rtpengineCpuMsPerCallSecond: perCallSecond(cpuMs(rtpenginePid) - cpu0.rtpengine),
    orchestratorCpuMsPerCallSecond: perCallSecond(cpuMs(orchestratorPid) - cpu0.orchestrator),
    box: Math.round(100 * (1 - (idleMs() - idle0) / (cpus().length * wallMs))),
  };
  // A monitor that ended inside the window failed its call, whatever the packets say.
  for (const m of monitored) {
    const why = index.peek(`ended:${m.monitorId}`);
    if (why) failed.push(`${m.callId}: the monitor ended in the window (${why})`);
  }
  const latencyUs = await mixerLatency(
    p,
    monitored.filter((m) => !index.peek(`ended:${m.monitorId}`)),
  );

  // Teardown: every call hung up through the API, which ends its monitor and hangs up every phone.
  await inParallel(monitored, PARALLEL, (m) => p.api.hangup({ callId: m.callId }).catch(() => undefined));
  await inParallel(monitored, PARALLEL, (m) => index.wait(`ended:${m.monitorId}`).catch(() => undefined));
  for (const role of ROLES) {
    await floods[role].stop();
    children.delete(floods[role]);
  }
  for (const sipp of Object.values(phones)) {
    await sipp.stop(5000);
    sipps.delete(sipp);
  }
  return { ...result, latencyUs };
}

/**
 * The mixer's own figures: per participant added latency (GetRoom), p50 and p99 over the participants, and
 * its playout: frames concealed, underruns (late audio: each grew a target) and the largest target.
 */
async function mixerLatency(
  p: PlatformUnderTest,
  monitored: MonitoredCall[],
): Promise<{
  p50: number;
  p99: number;
  worstP99: number;
  concealed: number;
  underruns: number;
  maxTarget: number;
}> {
  const client = new mixerApi.MixerClient(
    `127.0.0.1:${p.edge.mixer!.grpcPort}`,
    credentials.createInsecure(),
  );
  const p50s: number[] = [];
  const p99s: number[] = [];
  const playout = { concealed: 0, underruns: 0, maxTarget: 0 };
  try {
    await inParallel(monitored, PARALLEL, async (m) => {
      const room = await call<mixerApi.GetRoomRequest, mixerApi.GetRoomResponse>(
        (r, cb) => client.getRoom(r, cb),
        { roomId: m.callId },
      ).catch(() => ({ participants: [] }));
      for (const participant of room.participants) {
        if (Number(participant.packetsIn) === 0) continue;
        p50s.push(Number(participant.addedLatencyP50Us));
        p99s.push(Number(participant.addedLatencyP99Us));
        playout.concealed += Number(participant.concealedFrames);
        playout.underruns += Number(participant.underruns);
        playout.maxTarget = Math.max(playout.maxTarget, participant.playoutTargetFrames);
      }
    });
  } finally {
    client.close();
  }
  return { p50: quantile(p50s, 0.5), p99: quantile(p99s, 0.5), worstP99: Math.max(...p99s), ...playout };
}

/**
 * One more call with the test's own RTP endpoints: the caller sends silence, then 700 Hz; the callee's
 * first loud packet after the onset, less the onset, is the mouth-to-ear delay. PROBES times in LISTEN
 * (the direct path) and PROBES times in WHISPER (through the mixer): the difference is what the mixer adds.
 */
async function probeAddedLatency(p: PlatformUnderTest, index: EventIndex) {
  const callerRtp = await RtpEndpoint.open();
  const calleeRtp = await RtpEndpoint.open();
  const supervisorRtp = await RtpEndpoint.open();
  const callee = await startSipp({
    scenario: join(SCENARIOS, 'uas-answers-expect-bye.xml'),
    args: ['-key', 'rtp_port', String(calleeRtp.port)],
    timeoutMs: 120_000,
  });
  const supervisor = await startSipp({
    scenario: join(SCENARIOS, 'uas-answers-expect-bye.xml'),
    args: ['-key', 'rtp_port', String(supervisorRtp.port)],
    timeoutMs: 120_000,
  });
  const caller = await startSipp({
    scenario: join(SCENARIOS, 'uac-answered-expect-bye.xml'),
    remote: `127.0.0.1:${p.edge.engine.sipPort}`,
    service: SERVICE,
    args: ['-key', 'rtp_port', String(callerRtp.port)],
    timeoutMs: 120_000,
  });
  for (const sipp of [callee, supervisor, caller]) sipps.add(sipp);
  try {
    const inbound = await index.nextInbound(20_000);
    const m = await monitorOne(p, index, inbound, { callee: callee.port, supervisor: supervisor.port });
    await p.api.setMonitorMode({ callId: m.callId, monitorId: m.monitorId, mode: MODE.MONITOR_MODE_LISTEN });
    callerRtp.useRemote(await rtpengineSide(p, index, m.callerLeg));
    calleeRtp.useRemote(await rtpengineSide(p, index, m.calleeLeg));
    supervisorRtp.useRemote(await rtpengineSide(p, index, m.supervisorLeg));
    calleeRtp.startTone(0);
    supervisorRtp.startTone(0); // silent supervisor: only the caller's onsets reach the callee
    // Two kinds of onset: `restart` starts the caller's tone afresh (its packet clock restarts at the
    // onset, so the onset is a packet's start: no packetization wait, but the stream's phase jumps by
    // 0-20 ms at every probe, which a playout buffer sees as jitter); `steady` changes the tone of the
    // running stream (a phone's sound card keeps its clock) and times the onset from when the first tone
    // packet went out.
    const onsets = async (kind: 'restart' | 'steady'): Promise<number[]> => {
      const delays: number[] = [];
      if (kind === 'steady') callerRtp.startTone(0);
      for (let i = 0; i < PROBES; i++) {
        if (kind === 'restart') callerRtp.startTone(0);
        else callerRtp.changeTone(0);
        await sleep(300);
        let at = Date.now();
        if (kind === 'restart') callerRtp.startTone(CALLER_HZ);
        else {
          callerRtp.changeTone(CALLER_HZ);
          at = await waitFor('the tone sent', () => callerRtp.toneChangeSentAt, 1000, 1);
        }
        const heard = await waitFor(
          'the onset at the callee',
          () => calleeRtp.arrivals.find((a) => a.at >= at && a.rms > 1000),
          2000,
          5,
        ).catch(() => undefined);
        if (heard) delays.push(heard.at - at);
        await sleep(200);
      }
      return delays;
    };
    const direct = await onsets('restart');
    const directSteady = await onsets('steady');
    await p.api.setMonitorMode({
      callId: m.callId,
      monitorId: m.monitorId,
      mode: MODE.MONITOR_MODE_WHISPER,
      whisperLegId: m.calleeLeg,
    });
    await sleep(500);
    const mixed = await onsets('restart');
    const mixedSteady = await onsets('steady');
    await p.api.hangup({ callId: m.callId });
    return {
      direct: { p50: quantile(direct, 0.5), p99: quantile(direct, 0.99), n: direct.length },
      mixed: { p50: quantile(mixed, 0.5), p99: quantile(mixed, 0.99), n: mixed.length },
      directSteady: {
        p50: quantile(directSteady, 0.5),
        p99: quantile(directSteady, 0.99),
        n: directSteady.length,
      },
      mixedSteady: {
        p50: quantile(mixedSteady, 0.5),
        p99: quantile(mixedSteady, 0.99),
        n: mixedSteady.length,
      },
    };
  } finally {
    for (const sipp of [callee, supervisor, caller]) {
      await sipp.stop(2000);
      sipps.delete(sipp);
    }
    for (const e of [callerRtp, calleeRtp, supervisorRtp]) await e.close();
  }
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

function printStep(s: StepResult): void {
  const lostAll = ROLES.reduce((sum, role) => sum + s.lost[role], 0);
  console.log(`  ${s.calls} monitored calls (whisper), ${s.set} set up, ${SECONDS} s:`);
  console.log(
    `    lost ${lostAll} packets (${ROLES.map((r) => `${r}s ${s.lost[r]} of ${s.received[r]} received, ${fixed(100 * s.pace[r])} % of what it sent`).join(', ')}); ` +
      `kernel drops: mixer ${s.mixerDrops}, rtpengine ${s.rtpengineDrops}`,
  );
  console.log(
    `    mixer cpu ${fixed(s.mixerCpuMsPerCallSecond, 2)} ms/s per monitored call (${fixed(100 * s.mixerCoreShare)} % of one core in all); ` +
      `rtpengine ${fixed(s.rtpengineCpuMsPerCallSecond, 2)}, orchestrator ${fixed(s.orchestratorCpuMsPerCallSecond, 2)} ms/s per call; box ${s.box} %`,
  );
  console.log(
    `    mixer added latency (GetRoom, over participants): p50 ${fixed(s.latencyUs.p50 / 1000)} ms, ` +
      `p99 ${fixed(s.latencyUs.p99 / 1000)} ms (median of the p99s), worst p99 ${fixed(s.latencyUs.worstP99 / 1000)} ms; ` +
      `playout since the start: ${s.latencyUs.concealed} frames concealed, ${s.latencyUs.underruns} underruns, largest target ${s.latencyUs.maxTarget} frames`,
  );
  if (s.failed.length) console.log(`    failed: ${s.failed.length}: ${s.failed.slice(0, 3).join(' | ')}`);
}

async function main(): Promise<void> {
  const maxCalls = Math.max(...STEPS) + 1;
  console.log(
    `monitoring: steps ${STEPS.join(',')} calls, ${SECONDS} s each, set up at ${SETUP_RATE} calls/s; ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  platform = await startPlatform(
    {},
    {
      mixer: { rtpPorts: maxCalls * MIXER_PORTS_PER_CALL },
      rtpengineMediaPorts: maxCalls * RTPENGINE_PORTS_PER_CALL,
    },
  );
  const p = platform;
  const index = new AppEvents(p, SERVICE, monitorNotes);
  let best = 0;
  let limit = '';
  for (const calls of STEPS) {
    const step = await runStep(p, index, calls);
    printStep(step);
    const lost = ROLES.reduce((sum, role) => sum + step.lost[role], 0);
    const slowest = Math.min(...ROLES.map((role) => step.pace[role]));
    if (lost > 0 || step.failed.length > 0 || step.set < calls || slowest < MIN_PACE) {
      limit = `stopped at ${calls}: ${lost} lost, ${step.failed.length} failed, slowest pace ${fixed(100 * slowest)} %`;
      break;
    }
    best = calls;
  }
  const probe = await probeAddedLatency(p, index);
  console.log('\n  figures');
  console.log(
    `  concurrent monitored calls (whisper), 0 lost   ${best} (target >= ${TARGET})${limit ? `; ${limit}` : ''}`,
  );
  console.log(
    `  mouth-to-ear caller -> callee, direct (listen)  p50 ${fixed(probe.direct.p50)} ms, p99 ${fixed(probe.direct.p99)} ms (${probe.direct.n} onsets)`,
  );
  console.log(
    `  mouth-to-ear through the mixer (whisper)       p50 ${fixed(probe.mixed.p50)} ms, p99 ${fixed(probe.mixed.p99)} ms (${probe.mixed.n} onsets)`,
  );
  console.log(
    `  added by the mixer path                         p50 ${fixed(probe.mixed.p50 - probe.direct.p50)} ms, p99 ${fixed(probe.mixed.p99 - probe.direct.p99)} ms (target <= 40 ms)`,
  );
  console.log(
    `  steady sender clock: direct p50 ${fixed(probe.directSteady.p50)} / p99 ${fixed(probe.directSteady.p99)} ms, through the mixer p50 ${fixed(probe.mixedSteady.p50)} / p99 ${fixed(probe.mixedSteady.p99)} ms (${probe.mixedSteady.n} onsets): added p50 ${fixed(probe.mixedSteady.p50 - probe.directSteady.p50)} ms, p99 ${fixed(probe.mixedSteady.p99 - probe.directSteady.p99)} ms`,
  );
  console.log(
    `  load average at the end                        ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

runBenchmark(main, stopPlatform);
