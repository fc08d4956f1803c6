// SIP over TLS through the engine, beside UDP and TCP, with the same Node load client for all three
// (call-load-client.ts: Debian's sipp has no TLS):
//
//   cps          zero-length calls (INVITE / 100 / 180 / 200 / ACK, BYE / 200) to an srf UAS, ramped until
//                a step fails: 0 failed calls, UDP retransmissions <= 0.1 % of calls and a sustained rate
//                >= 97 % of offered to pass (sipp's judgement in sip-engine.bench.ts)
//   connections  new TLS (and TCP) connections per second: connect, full handshake, close, 16 at a time
//   memory       engine RSS per idle connection (N open, handshake done, nothing sent), TCP and TLS, beside
//                Kamailio's published figures (about 4.5 kB per TCP connection, about 61 kB more for TLS)
//
// Environment: BENCH_CASES (cps,connections,memory; default all), STEP_S (default 3), BENCH_RATES
// (comma list, the cps ladder), IDLE_CONNECTIONS (default 1000). The load client shares the box's 2 cores
// with the engine and the app, so the cps figures are of the whole loop, the ratio is what compares.
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import { cpuMs, freePort, makeCertificateAuthority, type Step } from '@callctl/testing';
import { rssKb, startEngine, startSrfApp, type EngineProcess } from '../test/harness/engine-process.js';
import { runCallLoad, type LoadTransport } from './call-load-client.js';

const STEP_S = Number(process.env.STEP_S ?? 3);
const CASES = (process.env.BENCH_CASES ?? 'cps,connections,memory').split(',');
const LADDER = process.env.BENCH_RATES
  ? process.env.BENCH_RATES.split(',').map(Number)
  : [50, 100, 200, 300, 400, 600, 800];
const IDLE_CONNECTIONS = Number(process.env.IDLE_CONNECTIONS ?? 1000);
const CONNECT_CONCURRENCY = 16;
const CONNECT_WINDOW_MS = 3000;
const KAMAILIO_TCP_KB = 4.5;
const KAMAILIO_TLS_EXTRA_KB = 61;

const ca = makeCertificateAuthority('tls-bench-ca');
const leaf = ca.issue('engine.bench');
const caPem = readFileSync(ca.caFile);
// One client context for every connection: building it per connect (parsing the CA) would make the client,
// not the engine, the limit of the connection rate.
const clientContext = createSecureContext({ ca: caPem });

interface TlsEngine {
  engine: EngineProcess;
  tlsPort: number;
}

async function startTlsEngine(): Promise<TlsEngine> {
  const tlsPort = await freePort();
  const engine = await startEngine({
    logLevel: 'error',
    env: {
      SIP_TLS: `127.0.0.1:${tlsPort}`,
      DRACHTIO_TLS_CERT_FILE: leaf.certFile,
      DRACHTIO_TLS_KEY_FILE: leaf.keyFile,
      SIP_TLS_CA_FILE: ca.caFile,
      // The memory case holds thousands of connections from 127.0.0.1.
      SIP_TCP_MAX_CONNECTIONS_PER_IP: String(IDLE_CONNECTIONS * 2 + 100),
    },
  });
  return { engine, tlsPort };
}

async function cpsStep(transport: LoadTransport, rate: number): Promise<Step> {
  const { engine, tlsPort } = await startTlsEngine();
  const app = await startSrfApp('srf-uas', { engine, compiled: true });
  try {
    const cpu0 = { engine: cpuMs(engine.pid), at: Date.now() };
    const calls = rate * STEP_S;
    const result = await runCallLoad({
      transport,
      port: transport === 'tls' ? tlsPort : engine.sipPort,
      rate,
      calls,
      ca: caPem,
    });
    const engineCpu = (100 * (cpuMs(engine.pid) - cpu0.engine)) / (Date.now() - cpu0.at);
    // sipp's judgement in sip-engine.bench.ts: retransmissions (UDP) at most 0.1 % of calls.
    const ok =
      result.failed === 0 && result.retransmissions * 1000 <= calls && result.sustained * 100 >= rate * 97;
    return {
      rate,
      ok,
      line:
        `${rate} cps offered: ${result.completed}/${calls} calls, ${result.failed} failed, ` +
        `${result.retransmissions} retrans, sustained ` +
        `${Math.round(result.sustained)} cps, engine cpu ${Math.round(engineCpu)}%; ${ok ? 'ok' : 'over'}`,
    };
  } finally {
    await app.stop();
    await engine.stop();
  }
}

/**
 * Each rung of the ladder is run for every transport still passing before the next rung, so the load the
 * rest of the box carries at a moment weighs on all three alike and the ratios stay fair. A failed step gets
 * a second try (as maxRate does); a transport stops at its first rung failed twice.
 */
async function interleavedMaxRates(transports: LoadTransport[]): Promise<Record<LoadTransport, number>> {
  const best: Record<LoadTransport, number> = { udp: 0, tcp: 0, tls: 0 };
  const running = new Set(transports);
  for (const rate of LADDER) {
    for (const transport of [...running]) {
      let passed = false;
      for (let attempt = 1; attempt <= 2 && !passed; attempt++) {
        const step = await cpsStep(transport, rate);
        console.log(`  ${transport} ${step.line}${attempt === 2 ? ' (second try)' : ''}`);
        passed = step.ok;
      }
      if (passed) best[transport] = rate;
      else running.delete(transport);
    }
    if (running.size === 0) break;
  }
  for (const transport of running) console.log(`  ${transport}: passed the top of the ladder`);
  return best;
}

function open(transport: 'tcp' | 'tls', port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      transport === 'tls'
        ? tlsConnect({ host: '127.0.0.1', port, secureContext: clientContext })
        : tcpConnect({ host: '127.0.0.1', port });
    socket.once(transport === 'tls' ? 'secureConnect' : 'connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function connectionsPerSecond(transport: 'tcp' | 'tls', port: number): Promise<number> {
  let made = 0;
  const until = Date.now() + CONNECT_WINDOW_MS;
  const startedAt = Date.now();
  await Promise.all(
    Array.from({ length: CONNECT_CONCURRENCY }, async () => {
      while (Date.now() < until) {
        const socket = await open(transport, port);
        made++;
        socket.destroy();
      }
    }),
  );
  return (made * 1000) / (Date.now() - startedAt);
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function kbPerIdleConnection(transport: 'tcp' | 'tls', engine: TlsEngine): Promise<number> {
  const port = transport === 'tls' ? engine.tlsPort : engine.engine.sipPort;
  await settle(1000);
  const before = rssKb(engine.engine.pid);
  const sockets: Socket[] = [];
  try {
    for (let i = 0; i < IDLE_CONNECTIONS; i += CONNECT_CONCURRENCY) {
      const batch = Math.min(CONNECT_CONCURRENCY, IDLE_CONNECTIONS - i);
      sockets.push(...(await Promise.all(Array.from({ length: batch }, () => open(transport, port)))));
    }
    await settle(2000);
    return (rssKb(engine.engine.pid) - before) / IDLE_CONNECTIONS;
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}

async function main(): Promise<void> {
  try {
    if (CASES.includes('cps')) {
      console.log(`calls per second, ${STEP_S} s steps, ladder ${LADDER.join(',')}:`);
      const best = await interleavedMaxRates(['udp', 'tcp', 'tls']);
      const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
      console.log(
        `cps: udp ${best.udp}, tcp ${best.tcp}, tls ${best.tls}; ` +
          `tls/udp ${ratio(best.tls, best.udp)}, tls/tcp ${ratio(best.tls, best.tcp)}`,
      );
    }
    if (CASES.includes('connections') || CASES.includes('memory')) {
      const engine = await startTlsEngine();
      try {
        if (CASES.includes('connections')) {
          const tcp = await connectionsPerSecond('tcp', engine.engine.sipPort);
          const cpu0 = cpuMs(engine.engine.pid);
          const at = Date.now();
          const tls = await connectionsPerSecond('tls', engine.tlsPort);
          const tlsCpu = (100 * (cpuMs(engine.engine.pid) - cpu0)) / (Date.now() - at);
          console.log(
            `new connections/s (${CONNECT_CONCURRENCY} at a time, connect + handshake + close): ` +
              `tcp ${Math.round(tcp)}, tls ${Math.round(tls)} (engine cpu ${Math.round(tlsCpu)}%); ` +
              `tls/tcp ${(tls / tcp).toFixed(2)}`,
          );
        }
        if (CASES.includes('memory')) {
          const tcp = await kbPerIdleConnection('tcp', engine);
          const tls = await kbPerIdleConnection('tls', engine);
          console.log(
            `engine memory per idle connection (${IDLE_CONNECTIONS} open): tcp ${tcp.toFixed(1)} kB, ` +
              `tls ${tls.toFixed(1)} kB (tls - tcp ${(tls - tcp).toFixed(1)} kB); Kamailio's published: ` +
              `tcp ~${KAMAILIO_TCP_KB} kB, tls ~${KAMAILIO_TLS_EXTRA_KB} kB more; ` +
              `tls vs Kamailio's tcp+tls ${(tls / (KAMAILIO_TCP_KB + KAMAILIO_TLS_EXTRA_KB)).toFixed(2)}`,
          );
        }
      } finally {
        await engine.engine.stop();
      }
    }
  } finally {
    ca.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
