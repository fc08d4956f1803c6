// A bounded flood at a SIP port on loopback, as its own process (`node --import tsx flood.ts <kind>
// <port> <per second> <seconds> [<source address>]`) so that generating it costs the test runner nothing.
// UDP floods are sent from the source address (a 127.0.0.x of its own, default 127.0.0.1), which is how a
// per-source ban can be told apart from its neighbours. Kinds:
//   random      UDP datagrams of random bytes (50-1,200)
//   options     well-formed OPTIONS over UDP, each a new transaction
//   register    well-formed REGISTERs over UDP without credentials, each a new transaction (a scanner)
//   bad-invite  INVITEs with parseable headers and junk SDP, to sip:junk-sdp@ (never ACKed)
//   slowloris   <per second> TCP connections, each trickling one byte of an INVITE every 2 s
// Prints one JSON line at the end: what was sent, and what came back.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';

export type FloodKind = 'random' | 'options' | 'register' | 'bad-invite' | 'slowloris';
type SipFloodKind = 'options' | 'register' | 'bad-invite';

export interface FloodReport {
  kind: FloodKind;
  sent: number;
  /** UDP datagrams received back (responses). */
  responses: number;
  /** UDP: ms from the start to the last response (when there was one): silence after it is a ban. */
  lastResponseMs?: number;
  /** slowloris: connections the server closed, and after how many ms of trickling (first and last). */
  closedByServer?: number;
  closedAfterMs?: [number, number];
}

const HOST = '127.0.0.1';
const TICK_MS = 10;
const TRICKLE_MS = 2000;

const METHODS: Record<SipFloodKind, { method: string; user: string }> = {
  options: { method: 'OPTIONS', user: 'flood' },
  register: { method: 'REGISTER', user: 'flooder' },
  'bad-invite': { method: 'INVITE', user: 'junk-sdp' },
};

let sequence = 0;
function sipRequest(kind: SipFloodKind, port: number, source: string, localPort: number): Buffer {
  const n = ++sequence;
  const { method, user } = METHODS[kind];
  const body =
    kind === 'bad-invite'
      ? `v=0\r\nthis is not sdp ${randomBytes(8).toString('hex')}\r\nm=audio junk\r\n`
      : '';
  // A REGISTER's Request-URI is the domain; its To is the address-of-record being registered.
  const requestUri = kind === 'register' ? `sip:${HOST}:${port}` : `sip:${user}@${HOST}:${port}`;
  return Buffer.from(
    [
      `${method} ${requestUri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${source}:${localPort};branch=z9hG4bK-flood-${process.pid}-${n}`,
      `From: <sip:flooder@${source}:${localPort}>;tag=f${n}`,
      `To: <sip:${user}@${HOST}:${port}>`,
      `Call-ID: flood-${process.pid}-${n}@${source}`,
      `CSeq: 1 ${method}`,
      `Contact: <sip:flooder@${source}:${localPort}>`,
      'Max-Forwards: 70',
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

async function udpFlood(
  kind: 'random' | SipFloodKind,
  port: number,
  perSecond: number,
  seconds: number,
  source: string,
) {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, source, resolve));
  const localPort = socket.address().port;
  const report: FloodReport = { kind, sent: 0, responses: 0 };
  const started = Date.now();
  socket.on('message', () => {
    report.responses++;
    report.lastResponseMs = Date.now() - started;
  });
  socket.on('error', () => undefined); // ICMP refusals and full buffers: the flood goes on
  const datagram = () =>
    kind === 'random'
      ? randomBytes(50 + Math.floor(Math.random() * 1150))
      : sipRequest(kind, port, source, localPort);
  while (Date.now() - started < seconds * 1000) {
    // Catch up to the rate, so that a slow tick does not lower it.
    const due = Math.floor(((Date.now() - started) / 1000) * perSecond);
    while (report.sent < due) {
      socket.send(datagram(), port, HOST);
      report.sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await new Promise((resolve) => setTimeout(resolve, 500)); // late responses
  socket.close();
  return report;
}

async function slowloris(port: number, connections: number, seconds: number): Promise<FloodReport> {
  const invite = sipRequest('bad-invite', port, HOST, 5060);
  const report: FloodReport = { kind: 'slowloris', sent: 0, responses: 0, closedByServer: 0 };
  const closedAfter: number[] = [];
  const sockets: Socket[] = [];
  let ending = false;
  const started = Date.now();
  for (let i = 0; i < connections; i++) {
    const socket = connect(port, HOST);
    socket.on('error', () => undefined);
    socket.on('data', () => report.responses++);
    socket.on('close', () => {
      if (ending) return;
      report.closedByServer!++;
      closedAfter.push(Date.now() - started);
    });
    sockets.push(socket);
  }
  let offset = 0;
  while (Date.now() - started < seconds * 1000) {
    for (const socket of sockets) {
      if (!socket.destroyed && socket.writable) socket.write(invite.subarray(offset, offset + 1));
    }
    report.sent++;
    offset = (offset + 1) % invite.length;
    await new Promise((resolve) => setTimeout(resolve, TRICKLE_MS));
  }
  ending = true;
  for (const socket of sockets) socket.destroy();
  if (closedAfter.length) report.closedAfterMs = [Math.min(...closedAfter), Math.max(...closedAfter)];
  return report;
}

async function main() {
  const [kind, port, perSecond, seconds, source = HOST] = process.argv.slice(2);
  const args = [Number(port), Number(perSecond), Number(seconds)] as const;
  const report =
    kind === 'slowloris'
      ? await slowloris(...args)
      : await udpFlood(kind as 'random' | SipFloodKind, ...args, source);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
