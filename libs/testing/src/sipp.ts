import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireBinary } from './binaries.js';
import { freePort, isBound, udpFree } from './ports.js';
import { waitFor } from './wait-for.js';

/** sipp's `-t`: one UDP socket (`u1`) or one TCP connection (`t1`). */
export type SippTransport = 'udp' | 'tcp';

export interface SippOptions {
  /** Path of an XML scenario, or `{ builtin: 'uac' }` for one of sipp's own (`-sn`). */
  scenario: string | { builtin: string };
  /** `host:port` to send to (a UAC); omitted for a UAS that only answers. */
  remote?: string;
  /** @default 'udp' */
  transport?: SippTransport;
  /** Stop after this many calls (`-m`). @default 1 */
  calls?: number;
  /** New calls per `ratePeriodMs` (`-r`). @default 10 */
  rate?: number;
  /** @default 1000 */
  ratePeriodMs?: number;
  /** Maximum simultaneous calls (`-l`). */
  limit?: number;
  /** Request-URI user part, `[service]` in scenarios (`-s`). */
  service?: string;
  /** Local SIP port; a free one when omitted. */
  port?: number;
  /**
   * Hard limit for the whole run: sipp is told to give up at this point (`-timeout`, as a failure) and is
   * SIGKILLed shortly after if it has not exited. @default 30000
   */
  timeoutMs?: number;
  /** Keep every message sent and received (`-trace_msg`) for failure messages. @default true */
  traceMessages?: boolean;
  /** Anything else, appended as given (e.g. `['-aa']`, `['-key', 'name', 'value']`). */
  args?: readonly string[];
}

export interface SippResult {
  /** sipp's exit status: 0 every call succeeded, 1 some failed, 97/99 see sipp(1); null if killed. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when sipp had to be killed because it outlived `timeoutMs`. */
  timedOut: boolean;
  successfulCalls: number;
  failedCalls: number;
  /** Calls the scenario started (UAC) or took (UAS). */
  outgoingCalls: number;
  incomingCalls: number;
  retransmissions: number;
  /** Last row of sipp's `-trace_stat` file, by column name (empty when sipp wrote none). */
  stats: Record<string, string>;
  /** Every row of that file (one per second, the last one final), for rates over time. */
  statsRows: Array<Record<string, string>>;
  /** sipp's error log (`-trace_err`): why calls failed, unexpected messages. */
  errors: string;
  /** Every message sent and received, when `traceMessages` was on. */
  messages: string;
  /** What sipp printed (its screens and fatal errors), last 64 KiB. */
  output: string;
  /** One text for a failed assertion: exit status, counts, errors, and the end of the message trace. */
  describe(): string;
}

export interface RunningSipp {
  /** Local SIP port sipp listens on (a UAS is reached at 127.0.0.1:port). */
  port: number;
  pid: number;
  /** Resolves when sipp exits on its own (`calls` done, or its timeout). */
  result: Promise<SippResult>;
  /** Asks sipp to finish (SIGUSR1: no new calls, let open ones end), SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<SippResult>;
}

const OUTPUT_KEEP_BYTES = 64 * 1024;
const KILL_AFTER_TIMEOUT_MS = 3000;
const START_ATTEMPTS = 3;

/** Runs sipp to completion (calls done, or the timeout) and reports what happened. */
export async function runSipp(options: SippOptions): Promise<SippResult> {
  const sipp = await startSipp(options);
  return sipp.result;
}

/**
 * Starts sipp bound to 127.0.0.1 (SIP, media and control sockets) on free ports and resolves once its SIP
 * socket is listening. Retries with fresh ports when another process took one of them meanwhile.
 */
export async function startSipp(options: SippOptions): Promise<RunningSipp> {
  const binary = requireBinary('sipp', 'sip-tester');
  let lastFailure: SippResult | undefined;
  for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
    const started = await startOnce(binary, options);
    if (started.ok) return started.sipp;
    lastFailure = started.failure;
    // A port given by the caller cannot be changed: retrying would fail the same way.
    if (options.port !== undefined || !/bind|address already in use/i.test(lastFailure.output)) break;
  }
  throw new Error(`sipp did not start: ${lastFailure?.describe() ?? 'unknown failure'}`);
}

type StartOutcome = { ok: true; sipp: RunningSipp } | { ok: false; failure: SippResult };

async function startOnce(binary: string, options: SippOptions): Promise<StartOutcome> {
  const transport = options.transport ?? 'udp';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const traceMessages = options.traceMessages ?? true;
  const port = options.port ?? (await freePort());
  const controlPort = await freePort();
  const mediaPort = await freeMediaPorts();
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const files = {
    stats: join(dir, 'stats.csv'),
    errors: join(dir, 'errors.log'),
    messages: join(dir, 'messages.log'),
  };
  const scenario =
    typeof options.scenario === 'string'
      ? ['-sf', resolve(options.scenario)]
      : ['-sn', options.scenario.builtin];
  const args = [
    ...scenario,
    ...(options.remote ? [options.remote] : []),
    '-t',
    transport === 'tcp' ? 't1' : 'u1',
    '-i',
    '127.0.0.1',
    '-p',
    String(port),
    '-mi',
    '127.0.0.1',
    '-mp',
    String(mediaPort),
    '-ci',
    '127.0.0.1',
    '-cp',
    String(controlPort),
    '-m',
    String(options.calls ?? 1),
    '-r',
    String(options.rate ?? 10),
    '-rp',
    String(options.ratePeriodMs ?? 1000),
    ...(options.limit !== undefined ? ['-l', String(options.limit)] : []),
    ...(options.service !== undefined ? ['-s', options.service] : []),
    '-timeout',
    `${Math.max(1, Math.ceil(timeoutMs / 1000))}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_stat',
    '-stf',
    files.stats,
    '-fd',
    '1',
    '-trace_err',
    '-error_file',
    files.errors,
    ...(traceMessages ? ['-trace_msg', '-message_file', files.messages] : []),
    ...(options.args ?? []),
  ];

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > OUTPUT_KEEP_BYTES) output = output.slice(-OUTPUT_KEEP_BYTES);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);

  let timedOut = false;
  let hardKill: NodeJS.Timeout | undefined;
  // sipp's own -timeout should end it; this is the guarantee that nothing outlives the test.
  const deadline = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    hardKill = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_TIMEOUT_MS);
  }, timeoutMs + KILL_AFTER_TIMEOUT_MS);
  const result = new Promise<SippResult>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(deadline);
      clearTimeout(hardKill);
      resolve(collect({ exitCode: code, signal, timedOut, output, files, dir }));
    };
    // 'close', not 'exit': the last of its output may still be in the pipes when it exits.
    child.once('close', finish);
    child.once('error', (error) => {
      output += String(error);
      finish(null, null);
    });
  });
  let exited = false;
  void result.then(() => (exited = true));

  try {
    await waitFor(
      `sipp listening on ${transport} 127.0.0.1:${port}`,
      // A short run can be over before its socket is ever seen; its result says how it went.
      () => exited || isBound(transport, port),
      10_000,
      20,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (exited) {
    const early = await result;
    // 254/255: sipp's fatal errors (a socket it could not bind, among others).
    if (early.exitCode === 254 || early.exitCode === 255) return { ok: false, failure: early };
  }

  const stop = async (graceMs = 5000) => {
    if (!exited) {
      child.kill('SIGUSR1');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await result;
      clearTimeout(timer);
    }
    return result;
  };
  return { ok: true, sipp: { port, pid: child.pid ?? -1, result, stop } };
}

function collect(run: {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  output: string;
  files: { stats: string; errors: string; messages: string };
  dir: string;
}): SippResult {
  const statsRows = parseStats(readOrEmpty(run.files.stats));
  const stats = statsRows[statsRows.length - 1] ?? {};
  const errors = readOrEmpty(run.files.errors);
  const messages = readOrEmpty(run.files.messages);
  rmSync(run.dir, { recursive: true, force: true });
  const count = (column: string) => Number(stats[column] ?? 0) || 0;
  const result: SippResult = {
    exitCode: run.exitCode,
    signal: run.signal,
    timedOut: run.timedOut,
    successfulCalls: count('SuccessfulCall(C)'),
    failedCalls: count('FailedCall(C)'),
    outgoingCalls: count('OutgoingCall(C)'),
    incomingCalls: count('IncomingCall(C)'),
    retransmissions: count('Retransmissions(C)'),
    stats,
    statsRows,
    errors,
    messages,
    output: run.output,
    describe: () =>
      [
        `sipp exit ${result.exitCode ?? result.signal}${result.timedOut ? ' (killed at timeout)' : ''}: ` +
          `${result.successfulCalls} successful, ${result.failedCalls} failed, ` +
          `${result.retransmissions} retransmissions`,
        errors ? `errors:\n${tail(errors, 4000)}` : '',
        messages ? `messages (last part):\n${tail(messages, 6000)}` : '',
        /error|fatal|unable/i.test(run.output) ? `output:\n${tail(run.output, 2000)}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
  };
  return result;
}

/** sipp's -trace_stat file: `;`-separated, a header row, then one row per period, the last one final. */
function parseStats(csv: string): Array<Record<string, string>> {
  const lines = csv.split('\n').filter((line) => line.trim().length > 0);
  const names = (lines[0] ?? '').split(';');
  return lines.slice(1).map((line) => {
    const values = line.split(';');
    const row: Record<string, string> = {};
    names.forEach((name, i) => {
      if (name) row[name] = values[i] ?? '';
    });
    return row;
  });
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function tail(text: string, chars: number): string {
  return text.length > chars ? `...${text.slice(-chars)}` : text;
}

/** An even port whose +0..+3 are free on UDP: sipp binds its audio socket there and video at +2. */
async function freeMediaPorts(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + 2 * Math.floor(Math.random() * 10000);
    const free = await Promise.all([0, 1, 2, 3].map((offset) => udpFree(base + offset)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free media ports for sipp on 127.0.0.1');
}
