// Bounded random-mutation fuzz over the engine's real UDP listener: thousands of mutated SIP datagrams
// (seeded; the seed is in every failure message, FUZZ_SEED=<n> replays a run, FUZZ_COUNT sizes it). The
// engine must survive, still answer a valid OPTIONS, and keep its resident memory bounded.
import { randomBytes } from 'node:crypto';
import { seededRandom } from '@callctl/testing';
import { startEngine, type EngineProcess } from './harness/engine-process.js';
import { corpus, mutate, routedToUs } from './harness/mutation.js';
import { UdpPeer } from './harness/udp-peer.js';

const SEED = Number(process.env.FUZZ_SEED ?? randomBytes(4).readUInt32LE(0));
const COUNT = Number(process.env.FUZZ_COUNT ?? 6000);
/** Sent before the memory baseline, so that start-up allocation and JIT warm-up are not counted. */
const WARMUP = 1000;
/** Growth of VmRSS allowed between the baseline and the end of the run. */
const RSS_GROWTH_LIMIT_KB = 64 * 1024;
/**
 * The engine's heap cap: V8 collects lazily, so RSS alone would grow with the traffic for a while even
 * without a leak; under the cap, anything really kept makes the engine die of out-of-memory instead.
 */
const MAX_OLD_SPACE_MB = 64;
const BATCH = 50;

jest.setTimeout(120_000);

describe(`sip-engine over UDP: random-mutation fuzz (FUZZ_SEED=${SEED})`, () => {
  let engine: EngineProcess;
  let peer: UdpPeer;
  let probe: UdpPeer;

  beforeAll(async () => {
    engine = await startEngine({ logLevel: 'error', maxOldSpaceMb: MAX_OLD_SPACE_MB });
    peer = await UdpPeer.open();
    probe = await UdpPeer.open();
  });
  afterAll(async () => {
    await peer?.close();
    await probe?.close();
    await engine?.stop();
  });

  it(`survives ${COUNT} mutated datagrams, then answers OPTIONS with bounded memory`, async () => {
    const rand = seededRandom(SEED);
    const seeds = corpus();
    let baselineKb = 0;
    for (let sent = 0; sent < COUNT; sent += BATCH) {
      if (sent >= WARMUP && baselineKb === 0) baselineKb = engine.rssKb();
      for (let i = 0; i < BATCH; i++) {
        let data = seeds[Math.floor(rand() * seeds.length)]!;
        const rounds = 1 + Math.floor(rand() * 4);
        for (let r = 0; r < rounds; r++) data = mutate(data, rand, seeds);
        // Datagrams above the UDP limit cannot be sent at all; the engine's own size limit is below it.
        data = routedToUs(data, 'UDP', peer.port, rand).subarray(0, 65_000);
        await peer.send(data, engine.sipPort);
      }
      // Pace the sender so the kernel's receive buffer, not the engine, is not what drops datagrams.
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (engine.process.child.exitCode !== null) {
        throw new Error(
          `engine died after ${sent + BATCH} datagrams (FUZZ_SEED=${SEED}):\n${engine.process.output().slice(-4000)}`,
        );
      }
    }
    const options = await probe.options(engine.sipPort, 5000);
    const afterKb = engine.rssKb();
    expect({
      seed: SEED,
      alive: engine.process.child.exitCode === null,
      answered: options !== undefined,
    }).toEqual({
      seed: SEED,
      alive: true,
      answered: true,
    });
    // The traffic really reached the engine's parser: malformed requests among it were answered (400s).
    expect(peer.responses().some((r) => r.status === 400)).toBe(true);
    expect({
      seed: SEED,
      rssGrowthKb: afterKb - baselineKb,
      withinLimit: afterKb - baselineKb < RSS_GROWTH_LIMIT_KB,
    }).toMatchObject({ seed: SEED, withinLimit: true });
  });
});
