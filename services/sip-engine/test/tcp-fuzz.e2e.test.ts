// Bounded random-mutation fuzz over the engine's real TCP listener: hundreds of connections, each writing
// several mutated SIP messages back to back in randomly cut chunks (so framing by Content-Length meets
// lies, splits and merges), then closing, resetting or just leaving. Seeded: FUZZ_SEED=<n> replays a run,
// FUZZ_CONNECTIONS sizes it. The engine must survive, still answer a valid OPTIONS over a new TCP
// connection, and keep its resident memory bounded.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { seededRandom } from '@callctl/testing';
import { startEngine, type EngineProcess } from './harness/engine-process.js';
import { corpus, mutate, routedToUs } from './harness/mutation.js';
import { readResponse } from './harness/udp-peer.js';

const SEED = Number(process.env.FUZZ_SEED ?? randomBytes(4).readUInt32LE(0));
const CONNECTIONS = Number(process.env.FUZZ_CONNECTIONS ?? 400);
const PARALLEL = 10;
/** Connections before the memory baseline (start-up allocation and JIT warm-up are not counted). */
const WARMUP = 50;
const RSS_GROWTH_LIMIT_KB = 64 * 1024;
/**
 * The engine's heap cap: V8 collects lazily, so RSS alone would grow with the traffic for a while even
 * without a leak; under the cap, anything really kept makes the engine die of out-of-memory instead.
 */
const MAX_OLD_SPACE_MB = 64;

jest.setTimeout(120_000);

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `data` cut at random points, yielding between the pieces so they leave as separate segments. */
async function writeInPieces(socket: Socket, data: Buffer, rand: () => number): Promise<void> {
  let at = 0;
  while (at < data.length && !socket.destroyed) {
    const size = 1 + Math.floor(rand() * (rand() < 0.3 ? 16 : 2048));
    socket.write(data.subarray(at, at + size));
    at += size;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Connections that got any answer at all (400s to garbage, 503s to requests nobody routes). */
let answered = 0;

/** One connection's worth of abuse, ended in one of three ways. */
async function abuse(port: number, seeds: Buffer[], rand: () => number): Promise<void> {
  const socket = await open(port);
  socket.on('error', () => undefined); // a reset from the engine is a fine answer to garbage
  let got = false;
  socket.on('data', () => {
    if (!got) answered++;
    got = true;
  });
  const local = socket.localPort ?? 0;
  const messages: Buffer[] = [];
  for (let i = 0, n = 1 + Math.floor(rand() * 8); i < n; i++) {
    let data = seeds[Math.floor(rand() * seeds.length)]!;
    for (let r = 0, rounds = Math.floor(rand() * 4); r < rounds; r++) data = mutate(data, rand, seeds);
    messages.push(routedToUs(data, 'TCP', local, rand));
  }
  await writeInPieces(socket, Buffer.concat(messages), rand);
  const end = rand();
  if (end < 0.4) socket.end();
  else if (end < 0.7) socket.destroy();
  else await new Promise((resolve) => setTimeout(resolve, 20)).then(() => socket.destroy());
}

/** A valid OPTIONS over a new TCP connection; resolves with the status of the final response. */
async function optionsOverTcp(port: number, timeoutMs = 5000): Promise<number | undefined> {
  const socket = await open(port);
  const callId = `tcp-options-${randomBytes(6).toString('hex')}`;
  socket.write(
    `OPTIONS sip:ping@127.0.0.1:${port};transport=tcp SIP/2.0\r\n` +
      `Via: SIP/2.0/TCP 127.0.0.1:${socket.localPort};branch=z9hG4bK${randomBytes(6).toString('hex')}\r\n` +
      'Max-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:ping@127.0.0.1>\r\n' +
      `Call-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
  let received = Buffer.alloc(0);
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const finish = (status: number | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const response = readResponse(received);
      if (response && response.status >= 200 && response.header('Call-ID') === callId)
        finish(response.status);
    });
    socket.on('error', () => finish(undefined));
  });
}

describe(`sip-engine over TCP: random-mutation fuzz (FUZZ_SEED=${SEED})`, () => {
  let engine: EngineProcess;

  beforeAll(async () => {
    engine = await startEngine({ logLevel: 'error', maxOldSpaceMb: MAX_OLD_SPACE_MB });
  });
  afterAll(async () => {
    await engine?.stop();
  });

  it(`survives ${CONNECTIONS} connections of mutated, re-cut messages, then answers OPTIONS`, async () => {
    const seeds = corpus();
    // One generator per connection: connections interleave, and a replay must not depend on how.
    const randFor = (connection: number) => seededRandom((SEED + Math.imul(connection, 0x9e3779b1)) >>> 0);
    let baselineKb = 0;
    for (let done = 0; done < CONNECTIONS; done += PARALLEL) {
      if (done >= WARMUP && baselineKb === 0) baselineKb = engine.rssKb();
      await Promise.all(
        Array.from({ length: PARALLEL }, (_, i) => abuse(engine.sipPort, seeds, randFor(done + i))),
      );
      if (engine.process.child.exitCode !== null) {
        throw new Error(
          `engine died after ${done + PARALLEL} connections (FUZZ_SEED=${SEED}):\n${engine.process.output().slice(-4000)}`,
        );
      }
    }
    const status = await optionsOverTcp(engine.sipPort);
    const afterKb = engine.rssKb();
    expect({ seed: SEED, alive: engine.process.child.exitCode === null, status }).toEqual({
      seed: SEED,
      alive: true,
      status: expect.any(Number),
    });
    // The traffic really reached the engine's framer and parser.
    expect(answered).toBeGreaterThan(0);
    expect({ seed: SEED, withinLimit: afterKb - baselineKb < RSS_GROWTH_LIMIT_KB }).toEqual({
      seed: SEED,
      withinLimit: true,
    });
  });
  it.each([
    [
      'a 100 MB Content-Length',
      'INVITE sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKbig\r\nContent-Length: 100000000\r\n\r\n',
      Buffer.alloc(64 * 1024, 'a'),
    ],
    [
      'headers that never end',
      'INVITE sip:a@127.0.0.1 SIP/2.0\r\n',
      Buffer.from(`X-Pad: ${'a'.repeat(1000)}\r\n`),
    ],
  ])('closes a connection that sends %s instead of buffering it', async (_name, head, filler) => {
    const before = engine.rssKb();
    const socket = await open(engine.sipPort);
    socket.on('error', () => undefined);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    let isClosed = false;
    void closed.then(() => (isClosed = true));
    socket.write(head);
    let sent = 0;
    // Far more than any sane message size limit; the engine must hang up long before.
    while (!isClosed && sent < 64 * 1024 * 1024) {
      if (!socket.write(filler)) await Promise.race([new Promise((r) => socket.once('drain', r)), closed]);
      sent += filler.length;
    }
    socket.destroy();
    expect({
      closedByEngine: isClosed,
      growthBounded: engine.rssKb() - before < RSS_GROWTH_LIMIT_KB,
    }).toEqual({
      closedByEngine: true,
      growthBounded: true,
    });
    expect(await optionsOverTcp(engine.sipPort)).toEqual(expect.any(Number));
  });
});
