// Issue 18's figures: how many media streams (PCMU 8 kHz, one channel per participant) this box carries at
// once with the whole platform running and no frame dropped by the platform (target >= 200), the latency
// from a party's RTP to the WebSocket (target p99 <= 40 ms), the CPU per stream and the gateway's memory.
// Everything is real and in its own process: nats-server, PostgreSQL (a test database), rtpengine,
// sip-engine, media-worker, call-orchestrator, sip-edge (started by the e2e support) and the stream gateway;
// sipp for the signalling of every caller and callee; the parties' RTP from two sender processes
// (services/recording/bench/rtp-flood.ts); the customers' endpoints are one WebSocket server process
// (stream-sink.ts) that every stream connects to. The application acts on the public API only: Dial
// (bridged) for each inbound call, then StartStream of the call (per participant, PCMU) to the sink.
//
// A ladder of N concurrent streams, one per bridged call (STREAMS_BENCH_STEPS, default 50,100,200,300,400;
// it stops after the first step that drops frames, fails a call or a stream, or falls behind). Each step:
// - sipp calls in N times at STREAMS_BENCH_SETUP_RATE calls/s, each bridged to a sipp callee and streamed;
//   the senders send 20 ms PCMU to every leg's rtpengine port (caller 700 Hz, callee 1300 Hz) for
//   STREAMS_BENCH_SECONDS (default 10) after a second of warm-up;
// - dropped by the platform: chunks missing in a channel at the sink (the gateway sends silence for a lost
//   packet, so a missing chunk is a frame it dropped), the frames the gateway counted as dropped (its
//   bounded buffer: StreamStopped.frames_dropped at the end), packets the kernel dropped at the gateway's
//   fork sockets (they become silence), and pace: frames that reached the sink over one per 20 ms per
//   channel (under 95 %: the gateway, or the sink, fell far behind); a gap in the sequence numbers or a
//   payload of the wrong size fails the step too;
// - latency, two figures. (1) sender -> WebSocket: one more bridged call, streamed to the sink's /probe,
//   whose caller is the benchmark's own RTP endpoint; it switches its running stream from silence to a
//   tone STREAMS_BENCH_PROBES times per step and the sink reports the arrival of the first loud frame of
//   the caller's channel; the delay is that arrival less when the caller's first tone packet went out (one
//   clock: same machine). It spans rtpengine's relay and fork, the gateway's jitter buffer and 20 ms clock,
//   the WebSocket and the sink's read; the fork -> WebSocket part alone is this less rtpengine's relay,
//   which no figure here separates (well under a millisecond on loopback). The probe call lives across the
//   steps, as a customer's stream would: its figure includes whatever depth its stream's input queue in the
//   gateway has kept from earlier stalls (a frame concealed while the party's audio was late stays queued
//   until the queue passes its cap), so compare steps with that in mind. (2) lateness of every frame of
//   every stream: its arrival less its `timestamp`, relative to its channel's best in the step: queueing
//   in the gateway under load, which the probe alone would sample too rarely;
// - CPU per stream (ms of CPU per second of streaming): the gateway's, rtpengine's (forks and relay), the
//   media-worker's and the orchestrator's; the gateway's RSS at the end of the window; the phones' losses
//   (the calls' own audio, which a stream must never disturb).
// It asserts nothing, and exits non-zero only when it could not measure.
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callEvents } from '@callctl/proto';
import {
  RtpEndpoint,
  cpuMs,
  freePort,
  freePortBlock,
  idleMs,
  inParallel,
  processUdpDrops,
  startSipp,
  waitFor,
  type ManagedProcess,
  type RunningSipp,
} from '@callctl/testing';
import { CALLEE_HZ, CALLER_HZ } from '../support/call-parties.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { startService, type ServiceProcess } from '../support/services.js';
import { senderCounts } from '../../services/recording/bench/rtp-flood-counts.js';
import {
  AppEvents,
  rtpengineSide,
  rtpenginePort,
  startSender,
  startTsxChild,
  type EventNotes,
} from './app-events.js';
import { runBenchmark } from './child-cleanup.js';
import { quantile } from './sipp-timings.js';

const STEPS = (process.env.STREAMS_BENCH_STEPS ?? '50,100,200,300,400').split(',').map(Number);
const SECONDS = Number(process.env.STREAMS_BENCH_SECONDS ?? 10);
const SETUP_RATE = Number(process.env.STREAMS_BENCH_SETUP_RATE ?? 10);
const PROBES = Number(process.env.STREAMS_BENCH_PROBES ?? 10);
const TARGETS = { streams: 200, latencyP99Ms: 40 };
/**
 * A step keeps pace when the sink received at least this share of one frame per 20 ms per channel. Not
 * 0.99: the sink shares the cores, and frames still in flight at the window's end (a backlog the frame
 * lateness shows) are late, not lost; a gateway that cannot keep up for good ends up dropping from its
 * bounded buffer, which counts as dropped.
 */
const MIN_PACE = 0.95;
/** rtpengine ports per streamed call: two legs and the gateway's two forks, each RTP + RTCP, with room. */
const RTPENGINE_PORTS_PER_CALL = 16;
/** The gateway's fork ports per stream: one per participant, with room for RTCP. */
const GATEWAY_PORTS_PER_STREAM = 4;
/** RPCs of the application in flight at once. */
const PARALLEL = 10;
const SCENARIOS = join(__dirname, '..', 'scenarios');
const SINK = join(__dirname, 'stream-sink.ts');
const SERVICE = 'stream-bench';
const PCMU = callEvents.StreamEncoding.STREAM_ENCODING_PCMU;
const PER_PARTICIPANT = callEvents.StreamTracks.STREAM_TRACKS_PER_PARTICIPANT;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

let platform: PlatformUnderTest | undefined;
let gateway: ServiceProcess | undefined;
const children = new Set<ManagedProcess>();
const sipps = new Set<RunningSipp>();
async function stopAll(): Promise<void> {
  for (const sipp of sipps) await sipp.stop(1000).catch(() => undefined);
  // The gateway before the platform: its stop closes the streams and ends their forks on the worker.
  await gateway?.stop().catch(() => undefined);
  gateway = undefined;
  for (const child of children) await child.stop().catch(() => undefined);
  await platform?.close();
  platform = undefined;
}

/** The streams' events the benchmark waits for, beside the calls' (AppEvents). */
const streamNotes: EventNotes = (event, note) => {
  if (event.$case === 'streamStarted') note(`stream:${event.streamStarted.streamId}`, 'started');
  if (event.$case === 'streamFailed')
    note(`stream:${event.streamFailed.streamId}`, `failed: ${event.streamFailed.reason}`);
  if (event.$case === 'streamStopped') {
    note(`stream:${event.streamStopped.streamId}`, 'stopped');
    note(`stopped:${event.streamStopped.streamId}`, event.streamStopped);
  }
};
type EventIndex = AppEvents;
const stoppedOf = (index: EventIndex, streamId: string) =>
  index.peek<callEvents.StreamStopped>(`stopped:${streamId}`);

interface StreamedCall {
  callId: string;
  callerLeg: string;
  calleeLeg: string;
  streamId: string;
}

/** Bridges an inbound call to the callee and streams it, per participant in PCMU, to `url`. */
async function streamOne(
  p: PlatformUnderTest,
  index: EventIndex,
  inbound: { callId: string; legId: string },
  calleePort: number,
  url: string,
): Promise<StreamedCall> {
  const { callId, legId: callerLeg } = inbound;
  const { legId: calleeLeg } = await p.api.dial({
    callId,
    bridgeWithLegId: callerLeg,
    toUri: `sip:callee@127.0.0.1:${calleePort}`,
    ringTimeoutMs: 10_000,
    idempotencyKey: `dial-${callId}`,
  });
  await index.wait(`bridged:${callId}`);
  const { streamId } = await p.api.startStream({
    callId,
    legId: '',
    url,
    tracks: PER_PARTICIPANT,
    encoding: PCMU,
    sampleRate: 8000,
    bidirectional: false,
    customParameters: { bench: 'streams' },
    authorization: '',
    idempotencyKey: `stream-${callId}`,
    clientState: '',
  });
  const state = await index.wait(`stream:${streamId}`);
  if (state !== 'started') throw new Error(`stream ${streamId}: ${state}`);
  return { callId, callerLeg, calleeLeg, streamId };
}

type Role = 'caller' | 'callee';
const ROLES: Role[] = ['caller', 'callee'];
const HZ: Record<Role, number> = { caller: CALLER_HZ, callee: CALLEE_HZ };

/** The callers' and callees' signalling: one sipp each, every SDP naming the role's sender socket. */
async function startPhones(p: PlatformUnderTest, calls: number, sockets: Record<Role, number>) {
  const common = { timeoutMs: (calls / SETUP_RATE + SECONDS + 120) * 1000, traceMessages: false };
  const callee = await startSipp({
    scenario: join(SCENARIOS, 'uas-answers-expect-bye.xml'),
    calls,
    args: ['-key', 'rtp_port', String(sockets.callee), '-buff_size', '4194304'],
    ...common,
  });
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
  for (const sipp of [callee, caller]) sipps.add(sipp);
  return { caller, callee };
}

interface SinkReport {
  connections: number;
  open: number;
  streams: number;
  channels: number;
  frames: number;
  wrongSize: number;
  missing: number;
  sequenceGaps: number;
  latenessMs: { p50: number; p99: number; max: number };
  events: Record<string, number>;
  closes: Record<string, number>;
}

/** What the sink saw since the previous ask (SIGUSR2). */
async function sinkReport(sink: ManagedProcess): Promise<SinkReport> {
  const before = sink.output().length;
  sink.child.kill('SIGUSR2');
  const line = await waitFor(
    'the sink report',
    () => /report (\{.*\})\n/.exec(sink.output().slice(before)) ?? undefined,
    10_000,
    10,
  );
  return JSON.parse(line[1]!) as SinkReport;
}

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/**
 * The probe call: the benchmark's own caller and callee RTP endpoints, bridged, streamed to the sink's
 * /probe. `onsets` switches the caller's running stream from silence to its tone and back, and returns the
 * delays from its first tone packet to the sink's arrival of the first loud frame of the caller's channel.
 */
async function startProbe(p: PlatformUnderTest, index: EventIndex, sink: ManagedProcess, sinkPort: number) {
  const callerRtp = await RtpEndpoint.open();
  const calleeRtp = await RtpEndpoint.open();
  const callee = await startSipp({
    scenario: join(SCENARIOS, 'uas-answers-expect-bye.xml'),
    args: ['-key', 'rtp_port', String(calleeRtp.port)],
    timeoutMs: 3_600_000,
  });
  const caller = await startSipp({
    scenario: join(SCENARIOS, 'uac-answered-expect-bye.xml'),
    remote: `127.0.0.1:${p.edge.engine.sipPort}`,
    service: SERVICE,
    args: ['-key', 'rtp_port', String(callerRtp.port)],
    timeoutMs: 3_600_000,
  });
  for (const sipp of [callee, caller]) sipps.add(sipp);
  const inbound = await index.nextInbound(20_000);
  const call = await streamOne(p, index, inbound, callee.port, `ws://127.0.0.1:${sinkPort}/probe`);
  callerRtp.useRemote(await rtpengineSide(p, index, call.callerLeg));
  calleeRtp.useRemote(await rtpengineSide(p, index, call.calleeLeg));
  calleeRtp.startTone(0);
  callerRtp.startTone(0);
  const onsetPattern = new RegExp(`onset ${call.callerLeg} ([\\d.]+)\\n`, 'g');
  return {
    call,
    async onsets(count: number): Promise<number[]> {
      const delays: number[] = [];
      for (let i = 0; i < count; i++) {
        callerRtp.changeTone(0);
        await sleep(300);
        const from = sink.output().length;
        callerRtp.changeTone(CALLER_HZ);
        const sentAt = await waitFor('the tone sent', () => callerRtp.toneChangeSentAt, 1000, 1);
        const arrival = await waitFor(
          'the onset at the sink',
          () => [...sink.output().slice(from).matchAll(onsetPattern)].map((m) => Number(m[1]))[0],
          2000,
          2,
        ).catch(() => undefined);
        if (arrival !== undefined) delays.push(arrival - sentAt);
        await sleep(200);
      }
      return delays;
    },
    async close() {
      await p.api.hangup({ callId: call.callId }).catch(() => undefined);
      for (const sipp of [callee, caller]) {
        await sipp.stop(2000);
        sipps.delete(sipp);
      }
      for (const e of [callerRtp, calleeRtp]) await e.close();
    },
  };
}
type Probe = Awaited<ReturnType<typeof startProbe>>;

interface StepResult {
  streams: number;
  started: number;
  failed: string[];
  sink: SinkReport;
  /** Frames that reached the sink over one per 20 ms per channel in the window. */
  pace: number;
  /** StreamStopped.frames_dropped summed over the step's streams (their whole life). */
  gatewayDropped: number;
  gatewayUdpDrops: number;
  phonesLost: number;
  latency: number[];
  cpuMsPerStreamSecond: { gateway: number; rtpengine: number; mediaWorker: number; orchestrator: number };
  gatewayCoreShare: number;
  /** The sink's share of one core: near 100 %, the lateness is the sink's own. */
  sinkCoreShare: number;
  gatewayRssMiB: number;
  box: number;
}

async function runStep(
  p: PlatformUnderTest,
  gw: ServiceProcess,
  index: EventIndex,
  sink: { process: ManagedProcess; port: number },
  probe: Probe,
  streams: number,
): Promise<StepResult> {
  const sockets = { caller: await freePort(), callee: await freePort() };
  const phones = await startPhones(p, streams, sockets);
  const failed: string[] = [];
  const streamed: StreamedCall[] = [];
  // Each call is taken as soon as it is in the log: a caller left unanswered while the others arrive
  // would reach sip-edge's answer timeout.
  let taken = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (taken < streams) {
        const n = taken++;
        let one: { callId: string; legId: string } | undefined;
        try {
          one = await index.nextInbound(30_000);
          const url = `ws://127.0.0.1:${sink.port}/s/${streams}-${n}`;
          streamed.push(await streamOne(p, index, one, phones.callee.port, url));
        } catch (error) {
          failed.push(`${one?.callId ?? 'no call'}: ${String(error).slice(0, 200)}`);
        }
      }
    }),
  );
  const targets: Record<Role, number[]> = { caller: [], callee: [] };
  await inParallel(streamed, PARALLEL, async (s) => {
    targets.caller.push(await rtpenginePort(p, index, s.callerLeg));
    targets.callee.push(await rtpenginePort(p, index, s.calleeLeg));
  });
  const floods = {} as Record<Role, ManagedProcess>;
  for (const role of ROLES)
    floods[role] = await startSender(children, sockets[role], targets[role], HZ[role]);
  await sleep(1000);

  const pids = {
    gateway: gw.process.child.pid!,
    rtpengine: p.edge.rtpengine.process.child.pid!,
    mediaWorker: p.edge.mediaWorker.process.child.pid!,
    orchestrator: p.orchestrator.process.child.pid!,
    sink: sink.process.child.pid!,
  };
  // The window starts here: what the sink and the senders saw so far is left out.
  await sinkReport(sink.process);
  for (const role of ROLES) await senderCounts(floods[role]);
  const drops0 = processUdpDrops(pids.gateway);
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const idle0 = idleMs();
  const t0 = Date.now();
  const latency = await probe.onsets(Math.min(PROBES, Math.floor((SECONDS * 1000) / 800)));
  await sleep(Math.max(0, SECONDS * 1000 - (Date.now() - t0)));
  const wallMs = Date.now() - t0;
  const report = await sinkReport(sink.process);
  const cpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid) - cpu0[name]!]));
  const box = Math.round(100 * (1 - (idleMs() - idle0) / (cpus().length * wallMs)));
  const gatewayRssMiB = rssMiB(pids.gateway);
  let phonesLost = 0;
  for (const role of ROLES) phonesLost += (await senderCounts(floods[role])).lost;
  // The probe's stream is one more channel pair in the sink's counts.
  const channels = 2 * (streamed.length + 1);
  const perStreamSecond = (ms: number) => ms / Math.max(1, streamed.length) / (wallMs / 1000);

  // Teardown: every call hung up through the API, which ends its stream (StreamStopped with its counters).
  await inParallel(streamed, PARALLEL, (s) => p.api.hangup({ callId: s.callId }).catch(() => undefined));
  await waitFor(
    'every stream stopped',
    () => streamed.every((s) => stoppedOf(index, s.streamId)),
    30_000,
    50,
  ).catch(() => failed.push('not every stream reached StreamStopped within 30 s'));
  const gatewayDropped = streamed.reduce(
    (sum, s) => sum + Number(stoppedOf(index, s.streamId)?.framesDropped ?? 0),
    0,
  );
  for (const role of ROLES) {
    await floods[role].stop();
    children.delete(floods[role]);
  }
  for (const sipp of Object.values(phones)) {
    await sipp.stop(5000);
    sipps.delete(sipp);
  }
  return {
    streams,
    started: streamed.length,
    failed,
    sink: report,
    pace: report.frames / ((channels * wallMs) / 20),
    gatewayDropped,
    gatewayUdpDrops: processUdpDrops(pids.gateway) - drops0,
    phonesLost,
    latency,
    cpuMsPerStreamSecond: {
      gateway: perStreamSecond(cpu.gateway!),
      rtpengine: perStreamSecond(cpu.rtpengine!),
      mediaWorker: perStreamSecond(cpu.mediaWorker!),
      orchestrator: perStreamSecond(cpu.orchestrator!),
    },
    gatewayCoreShare: cpu.gateway! / wallMs,
    sinkCoreShare: cpu.sink! / wallMs,
    gatewayRssMiB,
    box,
  };
}

/**
 * Frames the platform lost: chunks missing at the sink, frames the gateway's buffer dropped, and packets the
 * kernel dropped at the gateway's fork sockets (played as silence: no chunk goes missing for them).
 */
const droppedOf = (s: StepResult) => s.sink.missing + s.gatewayDropped + s.gatewayUdpDrops;

function printStep(s: StepResult): void {
  const c = s.cpuMsPerStreamSecond;
  console.log(
    `  ${s.streams} streams (bridged calls, PCMU per participant), ${s.started} started, ${SECONDS} s:`,
  );
  console.log(
    `    frames at the sink ${s.sink.frames} (${fixed(100 * s.pace)} % of one per 20 ms per channel), chunks missing ${s.sink.missing}, ` +
      `dropped by the gateway ${s.gatewayDropped}, sequence gaps ${s.sink.sequenceGaps}, wrong size ${s.sink.wrongSize}; ` +
      `kernel drops at the gateway ${s.gatewayUdpDrops}; the phones lost ${s.phonesLost} packets`,
  );
  console.log(
    `    sender -> WebSocket p50 ${fixed(quantile(s.latency, 0.5))} ms, p99 ${fixed(quantile(s.latency, 0.99))} ms (${s.latency.length} onsets); ` +
      `frame lateness p50 ${fixed(s.sink.latenessMs.p50)} ms, p99 ${fixed(s.sink.latenessMs.p99)} ms, max ${fixed(s.sink.latenessMs.max)} ms`,
  );
  console.log(
    `    cpu per stream: gateway ${fixed(c.gateway, 2)} ms/s (${fixed(100 * s.gatewayCoreShare)} % of one core in all), ` +
      `rtpengine ${fixed(c.rtpengine, 2)}, media-worker ${fixed(c.mediaWorker, 2)}, orchestrator ${fixed(c.orchestrator, 2)} ms/s; ` +
      `gateway RSS ${fixed(s.gatewayRssMiB)} MiB; the sink ${fixed(100 * s.sinkCoreShare)} % of a core; box ${s.box} %`,
  );
  if (s.failed.length) console.log(`    failed: ${s.failed.length}: ${s.failed.slice(0, 3).join(' | ')}`);
}

async function main(): Promise<void> {
  const maxStreams = Math.max(...STEPS) + 1;
  console.log(
    `streams: steps ${STEPS.join(',')} streams, ${SECONDS} s each, set up at ${SETUP_RATE} calls/s; ${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const gatewayPort = await freePort();
  platform = await startPlatform(
    {},
    {
      rtpengineMediaPorts: maxStreams * RTPENGINE_PORTS_PER_CALL,
      orchestratorEnv: { STREAM_GATEWAY_GRPC: `127.0.0.1:${gatewayPort}` },
    },
  );
  const p = platform;
  const forkPorts = freePortBlock(maxStreams * GATEWAY_PORTS_PER_STREAM);
  gateway = await startService(
    'stream-gateway',
    {
      GRPC_PORT: String(gatewayPort),
      NATS_URL: p.edge.nats.url,
      MEDIA_WORKER_GRPC: `127.0.0.1:${p.edge.mediaWorker.grpcPort}`,
      STREAM_RTP_HOST: '127.0.0.1',
      STREAM_RTP_PORT_MIN: String(forkPorts.min),
      STREAM_RTP_PORT_MAX: String(forkPorts.max),
      STREAM_ALLOW_INSECURE: 'true',
      STREAM_MAX_STREAMS: String(maxStreams + 10),
      STREAM_GATEWAY_INSTANCE: 'stream-gateway-bench',
    },
    'stream-gateway ready',
  );
  const sinkPort = await freePort();
  const sink = {
    process: await startTsxChild(children, [SINK, `port=${sinkPort}`], 'listening', 'the sink'),
    port: sinkPort,
  };
  const index = new AppEvents(p, SERVICE, streamNotes);
  const probe = await startProbe(p, index, sink.process, sinkPort);
  let best = 0;
  let bestStep: StepResult | undefined;
  let limit = '';
  for (const streams of STEPS) {
    const step = await runStep(p, gateway, index, sink, probe, streams);
    printStep(step);
    const dropped = droppedOf(step);
    const broken = step.sink.sequenceGaps + step.sink.wrongSize;
    if (
      dropped > 0 ||
      broken > 0 ||
      step.failed.length > 0 ||
      step.started < streams ||
      step.pace < MIN_PACE
    ) {
      limit = `stopped at ${streams}: ${dropped} frames dropped, ${broken} messages missing or malformed, ${step.failed.length} failed, pace ${fixed(100 * step.pace)} %`;
      break;
    }
    best = streams;
    bestStep = step;
  }
  await probe.close();
  console.log('\n  figures');
  console.log(
    `  concurrent streams, 0 frames dropped       ${best} (target >= ${TARGETS.streams})${limit ? `; ${limit}` : ''}`,
  );
  if (bestStep) {
    const c = bestStep.cpuMsPerStreamSecond;
    console.log(
      `  sender -> WebSocket at ${best} streams          p50 ${fixed(quantile(bestStep.latency, 0.5))} ms, p99 ${fixed(quantile(bestStep.latency, 0.99))} ms ` +
        `(${bestStep.latency.length} onsets; target p99 <= ${TARGETS.latencyP99Ms} ms); frame lateness p99 ${fixed(bestStep.sink.latenessMs.p99)} ms`,
    );
    console.log(
      `  cpu per stream at ${best} streams             gateway ${fixed(c.gateway, 2)} ms/s (${fixed(c.gateway / 10, 3)} % of a core), ` +
        `platform (rtpengine + media-worker + orchestrator) ${fixed(c.rtpengine + c.mediaWorker + c.orchestrator, 2)} ms/s`,
    );
    console.log(`  gateway RSS at ${best} streams                ${fixed(bestStep.gatewayRssMiB)} MiB`);
  }
  console.log(
    `  load average at the end                    ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

runBenchmark(main, stopAll);
