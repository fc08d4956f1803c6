// The container health check of every image (Dockerfile HEALTHCHECK, or a Kubernetes exec probe):
//   node /app/healthcheck.js <host:port> [service]   grpc.health.v1 Check; exit 0 only when SERVING
//   node /app/healthcheck.js --tcp <host:port>        a TCP connect (the SIP engine's admin port)
// It prints the status it got, and exits 1 on anything else: NOT_SERVING (a draining sip-edge), an unknown
// service, or no answer within the deadline.
'use strict';
const net = require('node:net');

const DEADLINE_MS = 2000;

/** Prints the outcome and lets the process end by itself (no process.exit: its output is never cut off). */
function finish(code, message) {
  process.stdout.write(`${message}\n`);
  process.exitCode = code;
}

function splitHostPort(address) {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(address ?? '');
  return match ? { host: match[1], port: Number(match[2]) } : undefined;
}

function checkTcp(target) {
  const socket = net.connect({ ...target, timeout: DEADLINE_MS });
  socket.on('connect', () => {
    finish(0, 'OPEN');
    socket.destroy();
  });
  socket.on('timeout', () => {
    finish(1, 'TIMEOUT');
    socket.destroy();
  });
  socket.on('error', (error) => finish(1, `UNREACHABLE ${error.message}`));
}

function checkGrpc(address, service) {
  // Loaded only here, so the TCP check needs neither.
  const { credentials } = require('@grpc/grpc-js');
  const { health } = require('@callctl/proto');
  const { SERVING } = health.HealthCheckResponse_ServingStatus;
  const client = new health.HealthClient(address, credentials.createInsecure());
  client.check({ service }, { deadline: Date.now() + DEADLINE_MS }, (error, reply) => {
    client.close();
    if (error) return finish(1, `UNHEALTHY ${error.details || error.message}`);
    const status = health.HealthCheckResponse_ServingStatus[reply.status] ?? String(reply.status);
    finish(reply.status === SERVING ? 0 : 1, status);
  });
}

const [first, second] = process.argv.slice(2);
const tcp = first === '--tcp';
const address = tcp ? second : first;
if (!splitHostPort(address)) {
  finish(2, `usage: healthcheck.js <host:port> [service] | --tcp <host:port> (got "${address}")`);
} else if (tcp) {
  checkTcp(splitHostPort(address));
} else {
  checkGrpc(address, second ?? '');
}
