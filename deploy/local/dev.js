// `make dev`: the whole platform on this machine under one supervisor. The stack (PostgreSQL, nats-server,
// rtpengine) is already up (`make setup`); this starts every built service with its environment, prefixes
// and colours their logs, waits for each to be healthy and prints what listens where. A service that dies
// is started again (supervisor/restart-policy.ts: backoff, a cap per minute). Ctrl-C stops the services
// one at a time in supervisor/stop-order.ts's order (SIGTERM, bounded), then the stack.
const { spawn, spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const readline = require('node:readline');
const { services, stackSummary, prepareMedia, prepareCertificates, devTls } = require('./services.js');
const { prefix, humanise } = require('./log-lines.js');
// Built by `make dev` before this runs (the dev target depends on build).
const { SERVICE_NODE_FLAGS } = require('../../libs/service/dist/src/node-flags.js');
const { decideRestart, DEFAULT_RESTART_POLICY } = require('./dist/supervisor/restart-policy.js');
const { stopOrder } = require('./dist/supervisor/stop-order.js');

const root = join(__dirname, '..', '..');
const COLOURS = [36, 33, 35, 32, 34, 91, 96];
const STOP_GRACE_MS = 10_000;
const READY_TIMEOUT_MS = 30_000;
const say = (line) => process.stdout.write(`\x1b[1m${'supervisor'.padEnd(18)}\x1b[0m│ ${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const exitText = (code, signal) => (signal ? `signal ${signal}` : `status ${code}`);

/** One service under supervision: its current process, the times it exited on its own, its restarts. */
class Supervised {
  constructor(service, colour, onGiveUp) {
    this.service = service;
    this.tag = prefix(service.name, colour);
    this.onGiveUp = onGiveUp;
    this.exitTimes = [];
    this.child = undefined;
    this.restartTimer = undefined;
    this.stopping = false;
  }

  start() {
    // detached: its own process group, so the terminal's Ctrl-C reaches only the supervisor, which then
    // stops the services in order (otherwise all of them would get SIGINT at once).
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, join(root, this.service.entry)], {
      cwd: root,
      env: { ...process.env, ...this.service.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    for (const stream of [child.stdout, child.stderr]) {
      readline
        .createInterface({ input: stream })
        .on('line', (line) => process.stdout.write(`${this.tag}${humanise(line)}\n`));
    }
    child.on('exit', (code, signal) => this.exited(code, signal));
    this.child = child;
    say(`started ${this.service.name} (pid ${child.pid})`);
  }

  exited(code, signal) {
    this.child = undefined;
    if (this.stopping) return;
    const now = Date.now();
    const decision = decideRestart({ code, signal }, this.exitTimes, now);
    this.exitTimes.push(now);
    const name = this.service.name;
    if (decision.type === 'give-up') {
      const why =
        decision.reason === 'config-error'
          ? 'its configuration is wrong (see its last line), so a restart would not help'
          : `that is ${decision.exits} exits within ${DEFAULT_RESTART_POLICY.windowMs / 1000} s`;
      say(`${name} exited (${exitText(code, signal)}); ${why}; stopping everything`);
      return this.onGiveUp();
    }
    say(
      `${name} exited (${exitText(code, signal)}); restarting it in ${decision.delayMs} ms ` +
        `(restart ${decision.attempt} of at most ${DEFAULT_RESTART_POLICY.maxRestarts} per minute)`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start();
      void this.waitReady().then((ok) => ok && !this.stopping && say(`${name} is healthy again`));
    }, decision.delayMs);
  }

  async waitReady() {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline && !this.stopping) {
      if (this.child && (await this.service.ready())) return true;
      await sleep(200);
    }
    return false;
  }

  /** SIGTERM, then SIGKILL after the grace; resolves with how the process ended (undefined: not running). */
  stop() {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        say(`${this.service.name} did not stop within ${STOP_GRACE_MS / 1000} s; killing it`);
        child.kill('SIGKILL');
      }, STOP_GRACE_MS);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
      child.kill('SIGTERM');
    });
  }
}

const supervised = [];
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  process.stdout.write('\n');
  let unclean = 0;
  for (const name of stopOrder(supervised.map((s) => s.service.name))) {
    const service = supervised.find((s) => s.service.name === name);
    say(`stopping ${name}`);
    const ended = await service.stop();
    if (!ended) continue;
    if (ended.code !== 0) unclean++;
    say(`${name} stopped (${exitText(ended.code, ended.signal)})`);
  }
  if (unclean) say(`${unclean} service(s) did not stop cleanly (see their last lines)`);
  // CALLCTL_DEV_KEEP_STACK=1 leaves PostgreSQL, NATS and rtpengine running (e.g. for a test run next).
  if (process.env.CALLCTL_DEV_KEEP_STACK !== '1') {
    say('stopping the stack');
    spawnSync(join(root, 'deploy/local/stack.sh'), ['down'], { stdio: 'inherit' });
  }
  const status = code || (unclean ? 1 : 0);
  say(`stopped; exit status ${status}`);
  process.exit(status);
}

// The services run in their own process groups: should this process end without stopping them (an
// exception here, a kill), they go with it rather than outlive it.
process.on('exit', () => {
  for (const { child } of supervised) child?.kill('SIGKILL');
});

async function main() {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void stopAll(0));
  prepareMedia();
  const made = prepareCertificates();
  if (made.makeCa) say(`made a dev CA for this machine: ${devTls.caFile} (trust it once; see below)`);
  else if (made.makeCert) say(`renewed the dev certificate ${devTls.certFile} (same CA)`);
  const present = services.filter((s) => existsSync(join(root, s.entry)));
  present.forEach((service, i) => {
    const s = new Supervised(service, COLOURS[i % COLOURS.length], () => void stopAll(1));
    supervised.push(s);
    s.start();
  });
  for (const s of supervised) {
    if (!(await s.waitReady())) {
      if (stopping) return;
      say(`${s.service.name} did not become healthy within ${READY_TIMEOUT_MS / 1000} s`);
      return stopAll(1);
    }
  }
  const rows = [...stackSummary(), ...present.flatMap((s) => s.listens)];
  const width = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write('\n\x1b[1mcallctl platform is up\x1b[0m\n');
  for (const [what, where] of rows) process.stdout.write(`  ${what.padEnd(width)}  ${where}\n`);
  for (const line of present.flatMap((s) => s.howTo ?? [])) process.stdout.write(`${line}\n`);
  process.stdout.write(
    '\nA service that dies is started again. Ctrl-C stops the services (the callback service and sip-edge first) and the stack.\n\n',
  );
}

void main();
