// SIP over WebSocket in the engine: what an idle connection costs, and 1,000 registered WebSocket clients
// kept alive.
//
//   idle ws / wss   N connections opened (the `sip` subprotocol, nothing sent) to a fresh engine: its RSS
//                   with them up minus its RSS before, over N. Kamailio's published figures for reference:
//                   about 4.5 kB per TCP connection and about 61 kB more per TLS connection.
//   kept alive      N clients register over WS (an srf registrar app answers 200, so the engine keeps each
//                   connection as a registered flow), then for KEEP_S seconds each sends an RFC 5626 CRLF
//                   ping every PING_S and refreshes its registration every REFRESH_S; the engine's idle
//                   timeout is set below KEEP_S. Figures: pongs and refresh 200s received against sent,
//                   connections still open at the end, engine RSS and CPU (percent of one core).
//
// Environment: WS_CLIENTS (default 1000), KEEP_S (30), PING_S (5), REFRESH_S (10).
// Figures are disturbed by whatever else runs on this 2-core machine.
import { readFileSync } from 'node:fs';
import {
  cpuMs,
  freePort,
  isBound,
  makeCertificateAuthority,
  waitFor,
  type ManagedProcess,
  type TestCertificateAuthority,
} from '@callctl/testing';
import { WebSocket } from 'ws';
import { startEngine, startSrfApp } from '../test/harness/engine-process.js';

const CLIENTS = Number(process.env.WS_CLIENTS ?? 1000);
const KEEP_S = Number(process.env.KEEP_S ?? 30);
const PING_S = Number(process.env.PING_S ?? 5);
const REFRESH_S = Number(process.env.REFRESH_S ?? 10);
/** Below KEEP_S: a connection the engine did not keep would be closed during the run. */
const ENGINE_IDLE_MS = Math.min(10_000, (KEEP_S * 1000) / 2);
/** Parallel handshakes while opening connections: a burst of 1,000 would overflow the accept backlog. */
const OPEN_CONCURRENCY = 50;
const SETTLE_MS = 2000;
/** Kamailio's published per-connection memory: TCP, and TCP plus TLS. */
const KAMAILIO_TCP_BYTES = 4500;
const KAMAILIO_TLS_BYTES = 4500 + 61_000;

interface Client {
  socket: WebSocket;
  user: string;
  cseq: number;
  pongs: number;
  oks: number;
}

async function wsEngine(secure: boolean, ca?: TestCertificateAuthority) {
  const port = await freePort();
  const leaf = ca?.issue('127.0.0.1');
  const engine = await startEngine({
    logLevel: 'error',
    env: {
      [secure ? 'SIP_WSS' : 'SIP_WS']: `127.0.0.1:${port}`,
      // Every client is on 127.0.0.1: the per-address cap would refuse all but the first 100.
      SIP_TCP_MAX_CONNECTIONS_PER_IP: String(CLIENTS * 2),
      SIP_TCP_IDLE_TIMEOUT_MS: String(ENGINE_IDLE_MS),
      ...(leaf ? { DRACHTIO_TLS_CERT_FILE: leaf.certFile, DRACHTIO_TLS_KEY_FILE: leaf.keyFile } : {}),
    },
  });
  await waitFor('the websocket listener', () => isBound('tcp', port), 10_000, 50);
  return { engine, url: `${secure ? 'wss' : 'ws'}://127.0.0.1:${port}` };
}

function open(url: string, ca?: Buffer): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, ['sip'], { ca, perMessageDeflate: false, handshakeTimeout: 20_000 });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

async function openMany(url: string, count: number, ca?: Buffer): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: OPEN_CONCURRENCY }, async () => {
      while (next < count) {
        next += 1;
        sockets.push(await open(url, ca));
      }
    }),
  );
  return sockets;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function idleCost(label: string, secure: boolean, ca: TestCertificateAuthority) {
  const { engine, url } = await wsEngine(secure, ca);
  try {
    await sleep(SETTLE_MS);
    const before = engine.rssKb();
    const sockets = await openMany(url, CLIENTS, secure ? readFileSync(ca.caFile) : undefined);
    await sleep(SETTLE_MS);
    const after = engine.rssKb();
    const perConnection = ((after - before) * 1024) / CLIENTS;
    console.log(
      `  idle ${label}: ${CLIENTS} connections, engine RSS ${before} -> ${after} KiB, ` +
        `${(perConnection / 1000).toFixed(1)} kB per connection ` +
        `(Kamailio: ${secure ? '~65.5 kB, TCP 4.5 + TLS 61' : '~4.5 kB per TCP connection'}; ` +
        `engine/Kamailio ${(perConnection / (secure ? KAMAILIO_TLS_BYTES : KAMAILIO_TCP_BYTES)).toFixed(2)})`,
    );
    for (const socket of sockets) socket.terminate();
    return perConnection;
  } finally {
    await engine.stop();
  }
}

function register(client: Client, expiresS: number): string {
  client.cseq += 1;
  const host = `${client.user}.invalid`;
  return [
    `REGISTER sip:bench.test SIP/2.0`,
    `Via: SIP/2.0/WS ${host};branch=z9hG4bK-${client.user}-${client.cseq}`,
    'Max-Forwards: 70',
    `From: <sip:${client.user}@bench.test>;tag=${client.user}`,
    `To: <sip:${client.user}@bench.test>`,
    `Call-ID: ${client.user}-reg`,
    `CSeq: ${client.cseq} REGISTER`,
    `Contact: <sip:${client.user}@${host};transport=ws>`,
    `Expires: ${expiresS}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

async function keptAlive(): Promise<void> {
  const { engine, url } = await wsEngine(false);
  let app: ManagedProcess | undefined;
  try {
    app = await startSrfApp('srf-registrar', { engine, compiled: true });
    await sleep(SETTLE_MS);
    const before = engine.rssKb();
    const sockets = await openMany(url, CLIENTS);
    const clients: Client[] = sockets.map((socket, i) => ({
      socket,
      user: `ws${i}`,
      cseq: 0,
      pongs: 0,
      oks: 0,
    }));
    let closed = 0;
    for (const client of clients) {
      client.socket.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text === '\r\n') client.pongs += 1;
        else if (text.startsWith('SIP/2.0 200 ')) client.oks += 1;
      });
      client.socket.on('close', () => (closed += 1));
    }
    const expiresS = REFRESH_S * 2;
    for (const client of clients) client.socket.send(register(client, expiresS));
    await waitFor('every client registered', () => clients.every((c) => c.oks === 1), 60_000, 100);
    const registered = engine.rssKb();
    const sent = { pings: 0, refreshes: 0 };
    const cpu0 = { engine: cpuMs(engine.pid), at: Date.now() };
    // Spread over each period, as real clients' timers are.
    const timers = clients.flatMap((client, i) => {
      const offset = (i / clients.length) * 1000;
      const ping = setTimeout(function tick() {
        sent.pings += 1;
        client.socket.send('\r\n\r\n');
        timers.push(setTimeout(tick, PING_S * 1000));
      }, offset * PING_S);
      const refresh = setTimeout(function tick() {
        sent.refreshes += 1;
        client.socket.send(register(client, expiresS));
        timers.push(setTimeout(tick, REFRESH_S * 1000));
      }, offset * REFRESH_S);
      return [ping, refresh];
    });
    await sleep(KEEP_S * 1000);
    for (const timer of timers) clearTimeout(timer);
    await sleep(SETTLE_MS);
    const wallMs = Date.now() - cpu0.at;
    const engineCpu = (100 * (cpuMs(engine.pid) - cpu0.engine)) / wallMs;
    const pongs = clients.reduce((sum, c) => sum + c.pongs, 0);
    const oks = clients.reduce((sum, c) => sum + c.oks, 0) - clients.length;
    const open = clients.filter((c) => c.socket.readyState === WebSocket.OPEN).length;
    const end = engine.rssKb();
    console.log(
      `  kept alive: ${CLIENTS} registered ws clients for ${KEEP_S} s (engine idle timeout ${ENGINE_IDLE_MS} ms): ` +
        `${open} still open, ${closed} closed; pongs ${pongs}/${sent.pings} pings, ` +
        `refresh 200s ${oks}/${sent.refreshes}`,
    );
    console.log(
      `  kept alive: engine RSS ${before} KiB before, ${registered} KiB registered, ${end} KiB at the end ` +
        `(${(((end - before) * 1024) / CLIENTS / 1000).toFixed(1)} kB per registered client); ` +
        `engine CPU ${engineCpu.toFixed(1)} % of a core ` +
        `(${((sent.pings + sent.refreshes) / (wallMs / 1000)).toFixed(0)} messages/s)`,
    );
    for (const client of clients) client.socket.terminate();
  } finally {
    await app?.stop();
    await engine.stop();
  }
}

async function main(): Promise<void> {
  const ca = makeCertificateAuthority('ws-bench-ca');
  try {
    await idleCost('ws', false, ca);
    await idleCost('wss', true, ca);
    await keptAlive();
  } finally {
    ca.remove();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
