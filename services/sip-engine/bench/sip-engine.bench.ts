// Calls per second through the SIP engine, against Kamailio on the same box in the same run.
//
//   uas    sipp -sn uac -> engine + srf UAS (res.send(180), createUAS)
//   b2bua  sipp -sn uac -> engine + srf createB2BUA -> sipp -sn uas
//   kamailio  sipp -sn uac -> Kamailio (tm stateful relay, record-route) -> sipp -sn uas: the reference,
//             set up by bench/kamailio (its kamailio.cfg, started fresh for each step like the engine)
//
// Every case is the same UDP load: sipp's built-in uac (INVITE / 100 / 180 / 200 / ACK, then BYE / 200, call
// length 0) at a fixed rate for STEP_S seconds, judged the same way for every case: 0 failed calls on
// either sipp, retransmissions <= 0.1 % of calls, sustained rate >= 97 % of offered. Rates are ramped up
// until a step fails (twice in a row), then the gap is halved once; the figure is the highest rate that
// passed. CPU is percent of one core over the uac's run (Kamailio: all its processes), "box" the machine's
// busy share of all its cores. The engine runs with the kernel's default UDP receive buffer ("udp drops" per
// step); Kamailio and both sipps get 4 MiB.
// Then memory per established dialog: engine RSS with N calls held up, minus its RSS before, over N.
//
// Environment: BENCH_CASES (uas,b2bua,kamailio,memory; default all), STEP_S (default 3), and
// BENCH_RATES_UAS / BENCH_RATES_B2BUA / BENCH_RATES_KAMAILIO (comma lists) to change the ramps.
// Figures are disturbed by whatever else runs on this 2-core machine: the "other" CPU column says how much.
import { cpus } from 'node:os';
import {
  cpuMs,
  firstLines,
  idleMs,
  maxRate,
  requireBinary,
  runSipp,
  startSipp,
  sustainedRate,
  udpDrops,
  type ManagedProcess,
  type MaxRate,
  type SippResult,
  type Step,
} from '@callctl/testing';
import { rssKb, startEngine, startSrfApp } from '../test/harness/engine-process.js';
import type { KamailioProcess } from '../test/harness/kamailio.js';
import { startKamailioRelay } from './kamailio/kamailio-relay.js';

const STEP_S = Number(process.env.STEP_S ?? 3);
const CASES = (process.env.BENCH_CASES ?? 'uas,b2bua,kamailio,memory').split(',');
const UDP_BUFFER_BYTES = 4 * 1024 * 1024;
const MEMORY_CALLS = 2000;
const MEMORY_RATE = 300;

const rates = (name: string, fallback: number[]) =>
  process.env[name] ? process.env[name]!.split(',').map(Number) : fallback;

const builtinUac = (target: string, rate: number, calls: number, extra: string[] = []) =>
  runSipp({
    scenario: { builtin: 'uac' },
    remote: target,
    rate,
    calls,
    timeoutMs: (calls / rate) * 1000 + 30_000,
    traceMessages: false,
    args: ['-d', '0', '-buff_size', String(UDP_BUFFER_BYTES), ...extra],
  });

/** One fixed-rate step through the engine with a fresh engine and app (and a sipp callee for the B2BUA). */
export async function engineStep(kind: 'uas' | 'b2bua', rate: number): Promise<Step> {
  const calls = rate * STEP_S;
  const engine = await startEngine({ logLevel: 'error' });
  const callee = kind === 'b2bua' ? await startCallee(calls) : undefined;
  let app: ManagedProcess | undefined;
  try {
    app = await startSrfApp(kind === 'uas' ? 'srf-uas' : 'srf-b2bua', {
      engine,
      compiled: true,
      env: callee ? { B2BUA_TARGET: `sip:callee@127.0.0.1:${callee.port}` } : {},
    });
    const appPid = app.child.pid ?? -1;
    const cpu0 = { engine: cpuMs(engine.pid), app: cpuMs(appPid), idle: idleMs(), at: Date.now() };
    const uac = await builtinUac(`127.0.0.1:${engine.sipPort}`, rate, calls);
    const wallMs = Date.now() - cpu0.at;
    const engineCpu = (100 * (cpuMs(engine.pid) - cpu0.engine)) / wallMs;
    const appCpu = (100 * (cpuMs(appPid) - cpu0.app)) / wallMs;
    const load = box(cpu0.idle, wallMs);
    const drops = udpDrops(engine.sipPort);
    const uas = callee ? await callee.stop(10_000) : undefined;
    return judge(
      rate,
      calls,
      uac,
      uas,
      `engine cpu ${pct(engineCpu)}, app cpu ${pct(appCpu)}, ${load}, engine udp drops ${drops}`,
    );
  } finally {
    await app?.stop();
    await callee?.stop(1000);
    await engine.stop();
  }
}

function judge(rate: number, calls: number, uac: SippResult, uas: SippResult | undefined, cpu: string): Step {
  const failed = Math.max(calls - uac.successfulCalls, uas?.failedCalls ?? 0);
  const retrans = uac.retransmissions + (uas?.retransmissions ?? 0);
  const sustained = sustainedRate(uac);
  const ok = failed === 0 && retrans * 1000 <= calls && sustained * 100 >= rate * 97;
  // Why calls failed, in sipp's words: the first lines of each side's error log.
  const why = ok
    ? ''
    : [uac, uas]
        .map((side, i) =>
          side?.errors ? `\n    ${['uac', 'uas'][i]} errors: ${firstLines(side.errors, 3)}` : '',
        )
        .join('');
  return {
    rate,
    ok,
    line:
      `${rate} cps offered: ${uac.successfulCalls}/${calls} calls, ${failed} failed, ${retrans} retrans, ` +
      `sustained ${Math.round(sustained)} cps, ${cpu}; ${ok ? 'ok' : 'over'}${why}`,
  };
}

const pct = (value: number) => `${Math.round(value)}%`;

/** One fixed-rate step through the reference relay, with a fresh Kamailio and callee. */
async function kamailioStep(rate: number): Promise<Step> {
  const calls = rate * STEP_S;
  const callee = await startCallee(calls);
  let relay: KamailioProcess | undefined;
  try {
    relay = await startKamailioRelay({ calleePort: callee.port, rate, udpBufferBytes: UDP_BUFFER_BYTES });
    const cpu0 = { relay: relay.cpuMs(), idle: idleMs(), at: Date.now() };
    const uac = await builtinUac(`127.0.0.1:${relay.port}`, rate, calls);
    const wallMs = Date.now() - cpu0.at;
    const relayCpu = (100 * (relay.cpuMs() - cpu0.relay)) / wallMs;
    const load = box(cpu0.idle, wallMs);
    const drops = udpDrops(relay.port);
    const uas = await callee.stop(10_000);
    return judge(
      rate,
      calls,
      uac,
      uas,
      `kamailio cpu ${pct(relayCpu)}, ${load}, kamailio udp drops ${drops}`,
    );
  } finally {
    await relay?.stop();
    await callee.stop(1000);
  }
}

/** sipp's built-in uas as the callee of a relay, for `calls` calls. */
const startCallee = (calls: number) =>
  startSipp({
    scenario: { builtin: 'uas' },
    calls,
    timeoutMs: STEP_S * 1000 + 60_000,
    traceMessages: false,
    args: ['-buff_size', String(UDP_BUFFER_BYTES)],
  });

/** How busy the whole machine was in the `wallMs` since `idle0` was read (read it at once), in % of all its cores. */
const box = (idle0: number, wallMs: number) =>
  `box ${pct(100 * (1 - (idleMs() - idle0) / (cpus().length * wallMs)))} of ${cpus().length} cores`;

/** Engine RSS growth with MEMORY_CALLS calls up at once (held longer than it takes to set them all up). */
async function memoryPerDialog(): Promise<{ perDialogKb: number; line: string }> {
  const engine = await startEngine({ logLevel: 'error' });
  let app: ManagedProcess | undefined;
  try {
    app = await startSrfApp('srf-uas', { engine, compiled: true });
    // Warm-up: JIT, buffers and pools first, so that the baseline is the steady state without calls.
    await builtinUac(`127.0.0.1:${engine.sipPort}`, MEMORY_RATE, MEMORY_RATE * 2);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = engine.rssKb();
    const setupMs = (MEMORY_CALLS / MEMORY_RATE) * 1000;
    const holdMs = setupMs + 6000;
    const held = builtinUac(`127.0.0.1:${engine.sipPort}`, MEMORY_RATE, MEMORY_CALLS, [
      '-d',
      String(holdMs),
      '-l',
      String(MEMORY_CALLS + 100),
    ]);
    await new Promise((resolve) => setTimeout(resolve, setupMs + 3000));
    const during = rssKb(engine.pid);
    const result = await held;
    if (result.successfulCalls !== MEMORY_CALLS) {
      throw new Error(`memory run: not every call was set up and held: ${result.describe()}`);
    }
    const perDialogKb = (during - before) / MEMORY_CALLS;
    return {
      perDialogKb,
      line: `engine RSS ${Math.round(before / 1024)} MiB idle, ${Math.round(during / 1024)} MiB with ${MEMORY_CALLS} calls up`,
    };
  } finally {
    await app?.stop();
    await engine.stop();
  }
}

async function main() {
  requireBinary('sipp', 'sip-tester');
  console.log(`sip-engine benchmark: ${STEP_S} s steps, ${cpus().length} cores, UDP on 127.0.0.1`);
  const figures: Partial<Record<'uas' | 'b2bua' | 'kamailio', MaxRate>> = {};
  if (CASES.includes('uas')) {
    console.log('engine + srf UAS (createUAS):');
    figures.uas = await maxRate(
      'uas',
      rates('BENCH_RATES_UAS', [200, 400, 600, 800, 1000, 1300, 1600, 2000, 2500, 3000, 3500]),
      (r) => engineStep('uas', r),
    );
  }
  if (CASES.includes('b2bua')) {
    console.log('engine + srf B2BUA (createB2BUA) -> sipp uas:');
    figures.b2bua = await maxRate(
      'b2bua',
      rates('BENCH_RATES_B2BUA', [100, 200, 400, 600, 800, 1000, 1200, 1500, 1800, 2200]),
      (r) => engineStep('b2bua', r),
    );
  }
  if (CASES.includes('kamailio')) {
    console.log('Kamailio relay (tm stateful, record-route) -> sipp uas:');
    figures.kamailio = await maxRate(
      'kamailio',
      rates('BENCH_RATES_KAMAILIO', [500, 1000, 2000, 3000, 4000, 6000, 8000, 10000, 12000]),
      kamailioStep,
    );
  }
  let memory: Awaited<ReturnType<typeof memoryPerDialog>> | undefined;
  if (CASES.includes('memory')) memory = await memoryPerDialog();

  const cps = (figure: MaxRate) => `${figure.atLadderTop ? '>= ' : ''}${figure.cps} cps`;
  const ratio = (engine: MaxRate, kamailio: MaxRate) =>
    `${kamailio.atLadderTop ? '<= ' : ''}${(engine.cps / kamailio.cps).toFixed(2)}`;
  console.log('\nsummary (max sustainable calls per second, 0 failed calls):');
  if (figures.uas) console.log(`  engine + srf UAS      ${cps(figures.uas)} (target >= 400)`);
  if (figures.b2bua) console.log(`  engine + srf B2BUA    ${cps(figures.b2bua)}`);
  if (figures.kamailio) console.log(`  Kamailio relay        ${cps(figures.kamailio)}`);
  if (figures.kamailio?.cps) {
    if (figures.uas) console.log(`  ratio UAS / Kamailio    ${ratio(figures.uas, figures.kamailio)}`);
    if (figures.b2bua) {
      console.log(`  ratio B2BUA / Kamailio  ${ratio(figures.b2bua, figures.kamailio)} (target >= 0.50)`);
    }
  }
  if (memory) console.log(`  memory per dialog     ${memory.perDialogKb.toFixed(1)} KiB (${memory.line})`);
}

// engineStep is imported by the full-stack benchmark (e2e/bench) for the engine-only rate: run main only as
// a script.
if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
