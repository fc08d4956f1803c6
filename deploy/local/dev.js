// `make dev`: the whole platform on this machine under one supervisor. The stack (PostgreSQL, nats-server,
// rtpengine) is already up (`make setup`); this starts every built service with its environment, prefixes
// and colours their logs, waits for each to be healthy, prints what listens where, and on Ctrl-C stops the
// services (SIGTERM, bounded) and then the stack.
const { spawn, spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const readline = require('node:readline');
const { services, stackSummary, prepareMedia } = require('./services.js');
// Built by `make dev` before this runs (the dev target depends on build).
const { SERVICE_NODE_FLAGS } = require('../../libs/service/dist/src/node-flags.js');

const root = join(__dirname, '..', '..');
const COLOURS = [36, 33, 35, 32, 34, 91, 96];
const STOP_GRACE_MS = 10_000;
const READY_TIMEOUT_MS = 30_000;

const running = [];
let stopping = false;

function prefix(name, colour) {
  return `\x1b[${colour}m${name.padEnd(18)}\x1b[0m│ `;
}

// Services log pino JSON; a person reading a terminal wants "level msg key=value".
function humanise(line) {
  if (!line.startsWith('{')) return line;
  try {
    const {
      level,
      time,
      msg,
      service: _service,
      pid: _pid,
      hostname: _hostname,
      ...fields
    } = JSON.parse(line);
    const facts = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const lvl =
      level === 'error' || level === 'fatal'
        ? `\x1b[31m${level}\x1b[0m`
        : level === 'warn'
          ? `\x1b[33m${level}\x1b[0m`
          : level;
    return `${(time ?? '').slice(11, 23)} ${lvl} ${msg ?? ''}${facts ? `  ${facts}` : ''}`;
  } catch {
    return line;
  }
}

function start(service, colour) {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, join(root, service.entry)], {
    cwd: root,
    env: { ...process.env, ...service.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tag = prefix(service.name, colour);
  for (const stream of [child.stdout, child.stderr]) {
    readline
      .createInterface({ input: stream })
      .on('line', (line) => process.stdout.write(`${tag}${humanise(line)}\n`));
  }
  child.on('exit', (code, signal) => {
    process.stdout.write(`${tag}exited (${signal ?? code})\n`);
    if (!stopping) {
      process.stdout.write(`${service.name} stopped unexpectedly; stopping everything\n`);
      void stopAll(1);
    }
  });
  running.push({ service, child });
}

async function waitReady(service) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await service.ready()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\nstopping services...\n');
  await Promise.all(
    running.reverse().map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  // CALLCTL_DEV_KEEP_STACK=1 leaves PostgreSQL, NATS and rtpengine running (e.g. for a test run next).
  if (process.env.CALLCTL_DEV_KEEP_STACK !== '1') {
    process.stdout.write('stopping the stack...\n');
    spawnSync(join(root, 'deploy/local/stack.sh'), ['down'], { stdio: 'inherit' });
  }
  process.exit(code);
}

async function main() {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  prepareMedia();
  const present = services.filter((s) => existsSync(join(root, s.entry)));
  present.forEach((service, i) => start(service, COLOURS[i % COLOURS.length]));
  for (const service of present) {
    if (!(await waitReady(service))) {
      process.stdout.write(`${service.name} did not become healthy within ${READY_TIMEOUT_MS / 1000} s\n`);
      return stopAll(1);
    }
  }
  const rows = [...stackSummary(), ...present.flatMap((s) => s.listens)];
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write('\n\x1b[1mcallctl platform is up\x1b[0m\n');
  for (const [what, where] of rows) process.stdout.write(`  ${what.padEnd(width)}  ${where}\n`);
  for (const line of present.flatMap((s) => s.howTo ?? [])) process.stdout.write(`${line}\n`);
  process.stdout.write('\nCtrl-C stops everything.\n\n');
}

void main();
