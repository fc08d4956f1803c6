// Floods beside legitimate calls, all bounded and on loopback: random bytes, OPTIONS, INVITEs with junk SDP
// (UDP), and a TCP slow-loris, one after the other while sipp places calls at 5 calls/s that an
// application on the public API answers, plays 1 s to and hangs up. At least 99.9 % of the legitimate
// calls must succeed, and an INVITE with unusable SDP must never become a call in the log. Setup time
// (INVITE -> 200) per phase is printed against the baseline phase; the machine is shared, so it is not
// asserted.
import { join } from 'node:path';
import { connectBus, type NatsConnection } from '@callctl/bus';
import { makeToneFile, startSipp } from '@callctl/testing';
import { AnsweringApp } from '../bench/answering-app.js';
import { epochMs, inviteTimings, quantile, shortMessageArgs } from '../bench/sipp-timings.js';
import { flood, rssMb, type FloodKind, type FloodReport } from '../support/floods.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { serveFiles, type ToneServer } from '../support/tones.js';

jest.setTimeout(180_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const CALLS_PER_SECOND = 5;
const PHASE_S = 10;
/** Each flood: its rate (datagrams/s; connections for slowloris). */
const FLOODS: Array<[FloodKind, number]> = [
  ['random', 5000],
  ['options', 2000],
  ['bad-invite', 200],
  ['slowloris', 100],
];
/** Baseline, the floods, and a quiet phase after. */
const TOTAL_S = PHASE_S * (FLOODS.length + 2);

/**
 * A TCP connection must deliver a whole message within this (the SIP engine's SIP_TCP_MESSAGE_TIMEOUT_MS,
 * given to it through the environment it inherits), well inside the slow-loris phase.
 */
const TCP_MESSAGE_TIMEOUT_MS = 4000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('floods beside legitimate calls', () => {
  let p: PlatformUnderTest;
  let files: ToneServer;
  let nc: NatsConnection;
  let app: AnsweringApp;

  beforeAll(async () => {
    process.env.SIP_TCP_MESSAGE_TIMEOUT_MS = String(TCP_MESSAGE_TIMEOUT_MS);
    try {
      p = await startPlatform();
    } finally {
      delete process.env.SIP_TCP_MESSAGE_TIMEOUT_MS;
    }
    makeToneFile(p.edge.dir, 'one-second.wav', 1, 1000);
    files = await serveFiles(p.edge.dir);
    nc = await connectBus({ servers: p.edge.nats.url, name: 'floods-e2e' });
    app = new AnsweringApp(p.api, nc, { kind: 'url', url: files.url('one-second.wav') });
    await app.start();
  });
  afterAll(async () => {
    app?.stop();
    await nc?.close();
    await files?.close();
    await p?.close();
  });

  it('keeps legitimate calls going and records no call for junk SDP', async () => {
    const trace = join(p.edge.dir, 'legitimate.shortmsg');
    const calls = CALLS_PER_SECOND * TOTAL_S;
    const engine = p.edge.engine;
    const sipp = await startSipp({
      scenario: join(SCENARIOS, 'bench-uac-expect-bye.xml'),
      remote: `127.0.0.1:${engine.sipPort}`,
      service: 'legitimate',
      rate: CALLS_PER_SECOND,
      calls,
      limit: 100,
      timeoutMs: TOTAL_S * 1000 + 60_000,
      traceMessages: false,
      args: shortMessageArgs(trace),
    });
    const start = epochMs();
    const phases: Array<{
      name: string;
      from: number;
      to: number;
      report?: FloodReport;
      rss?: number;
      logBytes?: number;
    }> = [];
    await sleep(PHASE_S * 1000);
    phases.push({ name: 'baseline', from: start, to: epochMs(), rss: rssMb(engine.process.child.pid!) });
    for (const [kind, rate] of FLOODS) {
      const from = epochMs();
      const logBefore = engine.output().length;
      const report = await flood(kind, engine.sipPort, rate, PHASE_S);
      phases.push({
        name: kind,
        from,
        to: epochMs(),
        report,
        rss: rssMb(engine.process.child.pid!),
        logBytes: engine.output().length - logBefore,
      });
    }
    const result = await sipp.result;
    phases.push({ name: 'after', from: phases[phases.length - 1]!.to, to: epochMs() });

    const timings = inviteTimings(trace);
    const rows = phases.map((phase) => {
      const setup = [...timings.values()]
        .filter((t) => t.inviteAt >= phase.from && t.inviteAt < phase.to && t.okAt !== undefined)
        .map((t) => t.okAt! - t.inviteAt);
      return { ...phase, calls: setup.length, p50: quantile(setup, 0.5), p99: quantile(setup, 0.99) };
    });
    const baseline = rows[0]!;
    const junkCalls = p.events.filter(
      (e) => e.event?.$case === 'legInitiated' && e.event.legInitiated.toUri.includes('sip:junk-sdp@'),
    ).length;
    console.log(
      [
        `legitimate calls: ${result.successfulCalls} of ${calls} succeeded, ${result.failedCalls} failed; ` +
          `app: ${app.tally.answered} answered, ${app.tally.rpcFailures} RPC failures ${app.tally.errors.join('; ')}`,
        'phase | calls | setup p50 / p99 ms | p99 / baseline p99 | engine RSS MB | engine log bytes (the test keeps 4 MiB of it) | flood',
        ...rows.map(
          (r) =>
            `${r.name} | ${r.calls} | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} | ${(r.p99 / baseline.p99).toFixed(2)} | ` +
            `${r.rss ?? '-'} | ${r.logBytes ?? '-'} | ${r.report ? JSON.stringify(r.report) : '-'}`,
        ),
        `junk-SDP INVITEs recorded as calls: ${junkCalls}`,
      ].join('\n'),
    );

    expect(result.successfulCalls / calls).toBeGreaterThanOrEqual(0.999);
    // Shed at the edge: no junk-SDP INVITE became a call, and every slow-loris connection was closed by the
    // engine, none held for the whole phase (one expectation, so that a failure shows both).
    const slowloris = phases.find((phase) => phase.name === 'slowloris')!.report!;
    expect({ junkSdpCalls: junkCalls, slowlorisClosedByServer: slowloris.closedByServer }).toEqual({
      junkSdpCalls: 0,
      slowlorisClosedByServer: FLOODS.find(([kind]) => kind === 'slowloris')![1],
    });
  });
});
