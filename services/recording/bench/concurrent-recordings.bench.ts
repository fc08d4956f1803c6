// Issue 13's figure: how many dual-channel recordings this box records at once with the platform running,
// with 0 packets lost by the recorder over REC_BENCH_SECONDS (60 s; target >= 200), and what each costs
// the recorder in CPU and memory. Everything is real and in its own process: nats-server, rtpengine, a
// media-worker over them, PostgreSQL (a test database), the recording service's built main, and the
// parties (bench/rtp-flood.ts): so the recorder's CPU (/proc/<pid>/stat) and RSS (/proc/<pid>/status)
// are its own. It asserts nothing, and exits non-zero only when it could not measure.
//
// A ladder of N concurrent calls (REC_BENCH_STEPS, default 100,200,300,400; it stops after the first step
// whose recorder loses packets: loss upstream alone is printed but does not stop it): N two-party
// rtpengine sessions set up through the worker (Offer/Answer), both parties sending 20 ms PCMU (caller
// 700 Hz, callee 1300 Hz) from one sender process, a StartRecorder over gRPC for each (the internal
// Recorder API: the service forks both parties to itself through the worker), the step's seconds, a
// StopRecorder for each. Then:
// - lost by the recorder: the engine's own count (packetsLost per party, which the service logs at
//   "recording stopped") less what the kernel dropped at rtpengine's sockets, and at least the kernel's
//   receive-buffer drops at the recorder's own sockets (read at the end of the window: they close at the
//   stop). Any gap the recorder sees counts against it unless rtpengine's sockets explain it; loss
//   upstream is printed apart: the drops at rtpengine's sockets during the window, and the sequence
//   numbers missing in what rtpengine forwarded to the other party, less the kernel's drops at the
//   sender's own socket (rtpengine overloaded on 2 cores would show there first);
// - a sample of the stored WAV files is read back: each channel must carry its party's tone with no
//   silent 20 ms frame between its first and last sound;
// - CPU of the recorder per recording (ms of CPU per second, and % of one core in all), its RSS per
//   recording ((RSS at N - RSS before the first step) / N; RSS before each step would hide what the
//   heap kept from the previous one), and rtpengine's, the worker's and the sender's CPU for context.
// Why one sender socket for every party (both SDPs announce it): 800 sockets in one process cost more
// than the parties' sends, and rtpengine sends each party's media back to it, where it is counted.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { callEvents, type media, recorder } from '@callctl/proto';
import { SERVICE_NODE_FLAGS } from '@callctl/service';
import {
  cpuMs,
  idleMs,
  inParallel,
  processUdpDrops,
  createTestDatabase,
  freePort,
  freePortBlock,
  startProcess,
  waitFor,
  type ManagedProcess,
} from '@callctl/testing';
import { grpcCall as call, startMediaStack, type MediaStack } from '@callctl/testing';
import { senderCounts } from './rtp-flood-counts.js';
import { readChannels, rms, stretch, toneShare } from '../test/support/wav-analysis.js';

const STEPS = (process.env.REC_BENCH_STEPS ?? '100,200,300,400').split(',').map(Number);
const SECONDS = Number(process.env.REC_BENCH_SECONDS ?? 60);
const TARGET = 200;
const CALLER_HZ = 700;
const CALLEE_HZ = 1300;
/** Setup and teardown requests in flight at once: enough to be quick, few enough for the worker. */
const PARALLEL = 20;
/** rtpengine ports per call: each party's RTP and RTCP, and the fork's, with room to spare. */
const PORTS_PER_CALL = 16;
/** Files read back per step. */
const SAMPLED_FILES = 3;
const RECORDING_MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');

/** Every process started here, SIGKILLed at exit if still alive (a Ctrl-C in the middle of a step). */
const children = new Set<ManagedProcess>();
/** How to stop what has been started so far, the last first: after the run, a failed start or a Ctrl-C. */
const stops: (() => Promise<unknown>)[] = [];
async function stopAll(): Promise<void> {
  while (stops.length > 0) await stops.pop()!().catch(() => undefined);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A free port rtpengine will not take: the sender binds it again at each step, and in between rtpengine
 * may have allocated it for a session (its range is drawn at random, and a free port can be anywhere).
 */
async function portOutside(range: { min: number; max: number }): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < range.min || port > range.max) return port;
  }
}

/** VmRSS of a process in MiB. */
function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) / 1024;
}

const audioPort = (sdp: string) => Number(/m=audio (\d+)/.exec(sdp)?.[1]);
const partySdp = (port: number, ssrc: number) =>
  [
    'v=0',
    `o=- ${ssrc} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');

interface Session {
  callId: string;
  sessionId: string;
  recordingId: string;
  /** rtpengine's ports where the caller and the callee send. */
  callerTarget: number;
  calleeTarget: number;
}

interface StoppedLine {
  packetsReceived: number[];
  packetsLost: number[];
}

interface Platform {
  recordingDir: string;
  stack: MediaStack;
  service: ManagedProcess;
  client: recorder.RecorderClient;
  /** "recording stopped" lines of the service, by recording id. */
  stopped: Map<string, StoppedLine>;
  senderPort: number;
  idleRssMiB: number;
}

async function startPlatform(maxCalls: number): Promise<Platform> {
  const dir = await mkdtemp(join(tmpdir(), 'callctl-rec-bench-'));
  stops.push(() => rm(dir, { recursive: true, force: true }));
  const recordingDir = join(dir, 'store');
  const stack = await startMediaStack(dir, {
    nodeFlags: SERVICE_NODE_FLAGS,
    mediaPorts: freePortBlock(maxCalls * PORTS_PER_CALL),
  });
  stops.push(() => stack.stop());
  for (const child of [stack.worker, stack.rtpengine.process, stack.nats.process]) children.add(child);
  const database = await createTestDatabase();
  stops.push(() => database.drop());
  const grpcPort = await freePort();
  const service = startProcess(process.execPath, [...SERVICE_NODE_FLAGS, RECORDING_MAIN], {
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      GRPC_PORT: String(grpcPort),
      GRPC_HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      NATS_URL: stack.nats.url,
      MEDIA_WORKER_GRPC: stack.workerAddress,
      RECORDING_RTP_HOST: '127.0.0.1',
      RECORDING_SPOOL_DIR: join(dir, 'spool'),
      RECORDING_INSTANCE: 'recording-bench',
      RECORDING_STORE: 'fs',
      RECORDING_DIR: recordingDir,
    },
  });
  children.add(service);
  stops.push(() => service.stop());
  // Read line by line rather than from output(), which stops keeping at 4 MiB.
  const stopped = new Map<string, StoppedLine>();
  let rest = '';
  service.child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"recording stopped"')) continue;
      const entry = JSON.parse(line) as StoppedLine & { recordingId: string };
      stopped.set(entry.recordingId, entry);
    }
  });
  await waitFor(
    'recording ready',
    () => {
      if (service.child.exitCode !== null) throw new Error(`recording exited:\n${service.output()}`);
      return service.output().includes('recording ready');
    },
    30_000,
    50,
  );
  const client = new recorder.RecorderClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  stops.push(() => Promise.resolve(client.close()));
  await sleep(2000);
  return {
    recordingDir,
    stack,
    service,
    client,
    stopped,
    senderPort: await portOutside(stack.rtpengine.mediaPorts),
    idleRssMiB: rssMiB(service.child.pid!),
  };
}

async function openSession(platform: Platform, n: number): Promise<Session> {
  const { client } = platform.stack;
  const callId = `bench-${n}-${randomBytes(4).toString('hex')}`;
  const sessionId = `session-${randomBytes(8).toString('hex')}`;
  const offer = await call<media.OfferRequest, media.OfferResponse>(client.offer.bind(client), {
    sessionId,
    fromTag: 'caller',
    sdp: partySdp(platform.senderPort, 2 * n + 1),
    detectDtmf: false,
    callId,
  });
  const answer = await call<media.AnswerRequest, media.AnswerResponse>(client.answer.bind(client), {
    sessionId,
    fromTag: 'caller',
    toTag: 'callee',
    sdp: partySdp(platform.senderPort, 2 * n + 2),
    callId,
  });
  return {
    callId,
    sessionId,
    recordingId: `rec-${randomBytes(16).toString('hex')}`,
    // The caller sends where the answer (rtpengine's side towards the caller) says, the callee where the
    // offer says.
    callerTarget: audioPort(answer.sdp),
    calleeTarget: audioPort(offer.sdp),
  };
}

interface ProcessSample {
  at: number;
  idle: number;
  cpu: Record<string, number>;
  rtpengineDrops: number;
  recorderDrops: number;
  senderDrops: number;
}

function sample(pids: Record<string, number>): ProcessSample {
  return {
    at: performance.now(),
    idle: idleMs(),
    cpu: Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)])),
    rtpengineDrops: processUdpDrops(pids.rtpengine!),
    recorderDrops: processUdpDrops(pids.recorder!),
    senderDrops: processUdpDrops(pids.sender!),
  };
}

/** Sampled stored files: silent 20 ms frames between a channel's first and last sound, and tone shares. */
async function checkFiles(
  recordingDir: string,
  recordingIds: readonly string[],
): Promise<{ files: number; gaps: number; toneOk: boolean }> {
  const all = await listWavs(recordingDir);
  const picked = [0, Math.floor(recordingIds.length / 2), recordingIds.length - 1]
    .slice(0, SAMPLED_FILES)
    .map((i) => all.find((path) => path.includes(recordingIds[i]!)))
    .filter((path): path is string => path !== undefined);
  let gaps = 0;
  let toneOk = picked.length > 0;
  for (const path of picked) {
    const { channels } = await readChannels(path);
    channels.forEach((channel, c) => {
      const frames = Math.floor(channel.samples.length / 160);
      const loud = Array.from(
        { length: frames },
        (_, f) => rms(stretch(channel, f * 20, f * 20 + 20)) > 1000,
      );
      const first = loud.indexOf(true);
      const last = loud.lastIndexOf(true);
      for (let f = first; first >= 0 && f <= last; f++)
        if (!loud[f]) {
          gaps++;
          if (process.env.REC_BENCH_DEBUG)
            console.log(`gap ${path.slice(-20)} ch${c} frame ${f} of ${frames}`);
        }
      if (toneShare(channel, c === 0 ? CALLER_HZ : CALLEE_HZ) < 0.5) toneOk = false;
    });
  }
  return { files: picked.length, gaps, toneOk };
}

async function listWavs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && e.name.endsWith('.wav')).map((e) => join(e.parentPath, e.name));
}

interface StepResult {
  calls: number;
  recorderLost: number;
  /** Silent 20 ms frames in the sampled files: audio that came later than the recorder's playout delay. */
  silentFrames: number;
  upstreamLost: number;
}

async function runStep(platform: Platform, calls: number): Promise<StepResult> {
  const { client } = platform;
  const sessions: Session[] = [];
  await inParallel(
    Array.from({ length: calls }, (_, i) => i),
    PARALLEL,
    async (i) => sessions.push(await openSession(platform, i)),
  );
  const sender = startProcess(process.execPath, [
    '--import',
    'tsx',
    join(__dirname, 'rtp-flood.ts'),
    `from=${platform.senderPort}`,
    ...sessions.flatMap((s) => [`${s.callerTarget}:${CALLER_HZ}`, `${s.calleeTarget}:${CALLEE_HZ}`]),
  ]);
  children.add(sender);
  try {
    await waitFor(
      'the parties to send',
      () => {
        if (sender.child.exitCode !== null) throw new Error(`the sender exited:\n${sender.output()}`);
        return sender.output().includes('sending');
      },
      20_000,
    );
    await sleep(1000);
    const recorderPid = platform.service.child.pid!;
    const rtpenginePid = platform.stack.rtpengine.process.child.pid!;
    const pids = {
      recorder: recorderPid,
      rtpengine: rtpenginePid,
      worker: platform.stack.worker.child.pid!,
      sender: sender.child.pid!,
    };
    const beforeStart = sample(pids);
    const sentBefore = await senderCounts(sender);
    await inParallel(sessions, PARALLEL, (s) =>
      call<recorder.StartRecorderRequest, recorder.StartRecorderResponse>(
        client.startRecorder.bind(client),
        recorder.StartRecorderRequest.fromPartial({
          recordingId: s.recordingId,
          callId: s.callId,
          kind: callEvents.RecordingKind.RECORDING_KIND_CALL,
          parties: [
            { legId: 'leg-caller', media: { sessionId: s.sessionId, tag: 'caller' } },
            { legId: 'leg-callee', media: { sessionId: s.sessionId, tag: 'callee' } },
          ],
          channels: callEvents.RecordingChannels.RECORDING_CHANNELS_DUAL,
          pauseMode: callEvents.PauseMode.PAUSE_MODE_SILENCE,
        }),
      ),
    );
    // The window CPU and RSS are measured over: every recorder running.
    const start = sample(pids);
    await sleep(SECONDS * 1000);
    const end = sample(pids);
    const rssAtN = rssMiB(recorderPid);
    const sentAfter = await senderCounts(sender);
    await inParallel(sessions, PARALLEL, (s) =>
      call<recorder.StopRecorderRequest, recorder.StopRecorderResponse>(client.stopRecorder.bind(client), {
        recordingId: s.recordingId,
        reason: callEvents.RecordingStopReason.RECORDING_STOP_REASON_REQUESTED,
        trimLastMs: 0,
      }),
    );
    await sender.stop();
    const lines = await waitFor(
      'every recording stopped',
      () => {
        const found = sessions.map((s) => platform.stopped.get(s.recordingId));
        return found.every(Boolean) ? (found as StoppedLine[]) : undefined;
      },
      60_000,
      100,
    );
    const recordingIds = sessions.map((s) => s.recordingId);
    await waitFor(
      'the files stored',
      async () =>
        (await listWavs(platform.recordingDir)).filter((p) => recordingIds.some((id) => p.includes(id)))
          .length >= calls,
      120_000,
      500,
    ).catch(() => undefined);
    const files = await checkFiles(platform.recordingDir, recordingIds);
    const sum = (pick: (l: StoppedLine) => number[]) =>
      lines.reduce((total, l) => total + pick(l).reduce((a, b) => a + b, 0), 0);
    const received = sum((l) => l.packetsReceived);
    const gapsSeen = sum((l) => l.packetsLost);
    // Kernel drops from before the first start to the end: the recorder's sockets did not exist before.
    const recorderDrops = end.recorderDrops;
    const rtpengineDrops = end.rtpengineDrops - beforeStart.rtpengineDrops;
    const recorderLost = Math.max(recorderDrops, gapsSeen - rtpengineDrops);
    const sent = sentAfter.sent - sentBefore.sent;
    const forwarded = sentAfter.received - sentBefore.received;
    const wallS = (end.at - start.at) / 1000;
    const cpu = (name: string) => end.cpu[name]! - start.cpu[name]!;
    const pct = (name: string) => ((cpu(name) / 1000 / wallS) * 100).toFixed(1);
    // What rtpengine did not forward to the other party in the window, from the sequence numbers sent back,
    // less what the kernel dropped at the sender's own socket (one socket takes every party's media back).
    const senderDrops = end.senderDrops - beforeStart.senderDrops;
    const upstreamLost = Math.max(rtpengineDrops, sentAfter.lost - senderDrops);
    const verdict =
      recorderLost === 0 && files.gaps === 0 && files.toneOk
        ? upstreamLost === 0
          ? 'ok'
          : 'ok at the recorder, LOSS upstream'
        : 'LOSS at the recorder';
    const tag = `N${calls}`;
    console.log(`${calls} concurrent dual recordings, ${SECONDS} s: ${verdict}`);
    console.log(
      `  ${tag} lost by the recorder     ${recorderLost} packets (kernel drops at its sockets ${recorderDrops}, sequence gaps ${gapsSeen}, ${received} received)`,
    );
    console.log(
      `  ${tag} lost upstream            ${upstreamLost} packets (rtpengine kernel drops ${rtpengineDrops}; parties sent ${sent}, rtpengine forwarded ${forwarded} to the other party, ${sentAfter.lost} missing there, of which ${senderDrops} dropped by the kernel at the sender's socket)`,
    );
    const load = loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
    console.log(`  ${tag} recorder cpu per recording ${(cpu('recorder') / wallS / calls).toFixed(3)} ms/s`);
    console.log(`  ${tag} recorder cpu in all        ${pct('recorder')} % (of one core)`);
    console.log(
      `  ${tag} recorder rss per recording ${((rssAtN - platform.idleRssMiB) / calls).toFixed(3)} MiB (rss ${rssAtN.toFixed(1)} MiB, idle ${platform.idleRssMiB.toFixed(1)} MiB)`,
    );
    console.log(`  ${tag} cpu rtpengine             ${pct('rtpengine')} % (of one core)`);
    console.log(`  ${tag} cpu media-worker          ${pct('worker')} %`);
    console.log(`  ${tag} cpu sender                ${pct('sender')} % (load average ${load})`);
    // Busy = wall time of both cores less their idle time, as the other benchmarks count it.
    const busy = 100 - ((end.idle - start.idle) / 1000 / wallS / cpus().length) * 100;
    console.log(`  ${tag} box busy                  ${busy.toFixed(0)} % (of all ${cpus().length} cores)`);
    console.log(
      `  ${tag} files read back: ${files.files} of ${calls}, silent frames ${files.gaps} (of 20 ms), tones ${files.toneOk ? 'on their channels' : 'MISSING'}`,
    );
    return {
      calls,
      recorderLost: recorderLost + (files.toneOk ? 0 : 1),
      silentFrames: files.gaps,
      upstreamLost,
    };
  } finally {
    await sender.stop();
    await inParallel(sessions, PARALLEL, (s) =>
      call<media.DeleteRequest, media.DeleteResponse>(
        platform.stack.client.delete.bind(platform.stack.client),
        { sessionId: s.sessionId, tag: '' },
      ).catch(() => undefined),
    );
  }
}

async function main(): Promise<void> {
  if (STEPS.some((n) => !Number.isInteger(n) || n <= 0) || !(SECONDS > 0))
    throw new Error(
      'REC_BENCH_STEPS must be positive integers (100,200) and REC_BENCH_SECONDS a positive number',
    );
  process.on('exit', () => {
    for (const child of children) if (child.child.exitCode === null) child.child.kill('SIGKILL');
  });
  // A second signal while stopping (Ctrl-C again) is ignored rather than left to Node's default, which
  // would exit at once and skip the stops; the exit handler kills whatever is still alive after 15 s.
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${signal}: stopping the platform`);
      void Promise.race([stopAll(), sleep(15_000)]).finally(() =>
        process.exit(signal === 'SIGINT' ? 130 : 143),
      );
    });
  try {
    const platform = await startPlatform(Math.max(...STEPS));
    console.log(
      `concurrent dual-channel recordings: recording service, media-worker, rtpengine, nats-server, PostgreSQL (${SECONDS} s per step; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
    );
    let best = 0;
    const limits: string[] = [];
    for (const calls of STEPS) {
      const result = await runStep(platform, calls);
      const lostAtRecorder = result.recorderLost > 0 || result.silentFrames > 0;
      if (!lostAtRecorder) best = Math.max(best, calls);
      if (result.recorderLost > 0) limits.push(`the recorder lost packets at ${calls}`);
      if (result.silentFrames > 0)
        limits.push(
          `silent 20 ms frames in the files at ${calls}: audio later than the recorder's playout delay`,
        );
      if (result.upstreamLost > 0) limits.push(`rtpengine lost packets at ${calls}`);
      // Loss upstream alone does not end the ladder: what rtpengine failed to fork shows as gaps at the
      // recorder (counted against it), and what it failed to send to the other party is not recorded.
      if (lostAtRecorder) break;
    }
    console.log('summary');
    console.log(
      `  most concurrent recordings without loss at the recorder  ${best === Math.max(...STEPS) ? '>= ' : ''}${best} recordings (target >= ${TARGET}; ratio ${(best / TARGET).toFixed(2)}${limits.length ? `; ${limits.join(', ')}` : '; the top of the ladder'})`,
    );
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
