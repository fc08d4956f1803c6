// The recorder engine's cost at its target load: 200 dual-channel part recorders (400 parties, 20 000
// packets/s of PCMU from another process) on one shared clock. Prints the mean and worst work per 20 ms
// tick (all recorders together), the process's CPU, late ticks, and the packets received, lost and
// dropped by the kernel. A micro-benchmark to run by hand (node --import tsx <this file> [recorders] [s]):
// it asserts nothing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, udpDrops, waitFor } from '@callctl/testing';
import { createRecorderEngine } from '../src/app/recorder-engine.js';
import type { ForkedParty } from '../src/app/ports.js';

const RECORDERS = Number(process.argv[2] ?? 200);
const SECONDS = Number(process.argv[3] ?? 10);
const WARM_UP_MS = 2000;

const fork = (port: number): ForkedParty => ({
  fromTag: String(port),
  sinkPort: port,
  payloadType: 0,
  codec: 'PCMU',
  clockRate: 8000,
  sampleRate: 8000,
  telephoneEventPayloadType: 101,
  transcoded: false,
});

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'callctl-recorder-bench-'));
  const engine = createRecorderEngine();
  const recorders = await Promise.all(Array.from({ length: RECORDERS }, () => engine.open(2)));
  const ports = recorders.flatMap((recorder) => [...recorder.ports]);
  await Promise.all(
    recorders.map((recorder, i) =>
      recorder.start(
        recorder.ports.map(fork),
        {
          channels: 'dual',
          pauseMode: 'silence',
          maxDurationMs: 0,
          silenceTimeoutMs: 0,
          startDelayMs: 0,
          filePath: join(dir, `${i}.wav`),
          paused: false,
        },
        { onAutoStop: () => undefined, onIdle: () => undefined },
      ),
    ),
  );
  const flood = startProcess(process.execPath, [
    '--import',
    'tsx',
    join(__dirname, 'rtp-flood.ts'),
    ...ports.map(String),
  ]);
  try {
    await waitFor('the parties to send', () => flood.output().includes('sending'), 20000);
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS));
    const stats = engine.clockStats;
    const before = { ...stats, cpu: process.cpuUsage(), at: performance.now() };
    stats.maxTickMs = 0;
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    const cpu = process.cpuUsage(before.cpu);
    const wallMs = performance.now() - before.at;
    const ticks = stats.ticks - before.ticks;
    await flood.kill();
    const results = await Promise.all(recorders.map((recorder) => recorder.stop()));
    const received = results.reduce((sum, r) => sum + r.received[0]! + r.received[1]!, 0);
    const lost = results.reduce((sum, r) => sum + r.lost[0]! + r.lost[1]!, 0);
    const drops = ports.reduce((sum, port) => sum + udpDrops(port), 0);
    const realigned = recorders.reduce(
      (sum, r) => sum + r.partyStats.reduce((s, p) => s + p.realigned, 0),
      0,
    );
    console.log(
      [
        `${RECORDERS} dual recorders, ${ports.length * 50} packets/s, ${SECONDS} s measured`,
        `tick: mean ${((stats.totalTickMs - before.totalTickMs) / ticks).toFixed(3)} ms, max ${stats.maxTickMs.toFixed(2)} ms, ${ticks} ticks, ${stats.lateTicks - before.lateTicks} late by a frame or more`,
        `process CPU: ${(((cpu.user + cpu.system) / 1000 / wallMs) * 100).toFixed(1)} % of one core (sockets, jitter buffers, decoding, files)`,
        `packets: ${received} received, ${lost} lost (jitter buffers), ${drops} dropped by the kernel; ${realigned} realignments`,
      ].join('\n'),
    );
  } finally {
    await flood.kill();
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
