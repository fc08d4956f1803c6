// A bounded flood at a SIP port on loopback, as its own process (`node --import tsx flood.ts <kind>
// <port> <per second> <seconds>`) so that generating it costs the test runner nothing. Kinds:
//   random      UDP datagrams of random bytes (50-1,200)
//   options     well-formed OPTIONS over UDP, each a new transaction
//   bad-invite  INVITEs with parseable headers and junk SDP, to sip:junk-sdp@ (never ACKed)
//   slowloris   <per second> TCP connections, each trickling one byte of an INVITE every 2 s
// Prints one JSON line at the end: what was sent, and what came back.
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';

export type FloodKind = 'random' | 'options' | 'bad-invite' | 'slowloris';

export interface FloodReport {
  kind: FloodKind;
  sent: number;
  /** UDP datagrams received back (responses). */
  responses: number;
  /** slowloris: connections the server closed, and after how many ms of trickling (first and last). */
  closedByServer?: number;
  closedAfterMs?: [number, number];
}

const HOST = '127.0.0.1';
const TICK_MS = 10;
const TRICKLE_MS = 2000;

let sequence = 0;
function sipRequest(kind: 'options' | 'bad-invite', port: number, localPort: number): Buffer {
  const n = ++sequence;
  const user = kind === 'options' ? 'flood' : 'junk-sdp';
  const method = kind === 'options' ? 'OPTIONS' : 'INVITE';
  const body =
    kind === 'bad-invite'
      ? `v=0\r\nthis is not sdp ${randomBytes(8).toString('hex')}\r\nm=audio junk\r\n`
      : '';
  return Buffer.from(
    [
      `${method} sip:${user}@${HOST}:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${HOST}:${localPort};branch=z9hG4bK-flood-${process.pid}-${n}`,
      `From: <sip:flooder@${HOST}:${localPort}>;tag=f${n}`,
      `To: <sip:${user}@${HOST}:${port}>`,
      `Call-ID: flood-${process.pid}-${n}@${HOST}`,
      `CSeq: 1 ${method}`,
      `Contact: <sip:flooder@${HOST}:${localPort}>`,
      'Max-Forwards: 70',
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

async function udpFlood(
  kind: 'random' | 'options' | 'bad-invite',
  port: number,
  perSecond: number,
  seconds: number,
) {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  const localPort = socket.address().port;
  const report: FloodReport = { kind, sent: 0, responses: 0 };
  socket.on('message', () => report.responses++);
  socket.on('error', () => undefined); // ICMP refusals and full buffers: the flood goes on
  const datagram = () =>
    kind === 'random'
      ? randomBytes(50 + Math.floor(Math.random() * 1150))
      : sipRequest(kind, port, localPort);
  const started = Date.now();
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
  const invite = sipRequest('bad-invite', port, 5060);
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
  const [kind, port, perSecond, seconds] = process.argv.slice(2);
  const args = [Number(port), Number(perSecond), Number(seconds)] as const;
  const report =
    kind === 'slowloris'
      ? await slowloris(...args)
      : await udpFlood(kind as 'random' | 'options' | 'bad-invite', ...args);
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
