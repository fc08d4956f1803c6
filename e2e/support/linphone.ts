// A real SIP phone for the e2e tests: linphonec 5.1 (Debian linphone-cli), headless on loopback, as the
// transfer research found it works. Its own HOME with `.local/share/linphone` (without it the core never
// starts and listens nowhere), a config binding SIP and RTP to 127.0.0.1 with a fixed identity, and
// `--pipe` mode: the only mode that runs the core when stdin is not a terminal (here a pipe the harness
// holds open, as a FIFO would be). Its stdin reader takes one line at a time and loses a line written right
// after another, so commands go out at least 0.3 s apart. Without a sound card it sends no RTP (and the call
// dies after 30 s) unless it plays a file: it plays a tone WAV (sox, 16-bit) in every call and records what it
// decoded (`record`). `quit` hangs in pipe mode, so stop() is SIGKILL.
// Never make it the target of an INVITE with Replaces: linphone 5.1 segfaults on one.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isBound, requireBinary, waitFor } from '@callctl/testing';
import { phoneFolder, recentToneRatioOf, startPhoneProcess, type PhoneOptions } from './phone-process.js';

/** Between two lines written to its stdin (it drops a line that follows another at once). */
const COMMAND_SPACING_MS = 300;

export interface Linphone {
  readonly name: string;
  /** `sip:<name>@127.0.0.1:<port>`. */
  readonly uri: string;
  readonly sipPort: number;
  readonly toneHz: number;
  /** Writes one command line (e.g. `pause 1`), at least 0.3 s after the previous one. */
  command(line: string): Promise<void>;
  /** Resolves with the match of `pattern` in its console output after `from` (an offset in output()). */
  expectOutput(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  /** Places a call; resolves with linphone's id of it (`assigned id N`). */
  dial(uri: string): Promise<number>;
  /** The id of the next incoming call it answers (it auto-answers), waited for from output offset `from`. */
  answered(from?: number, timeoutMs?: number): Promise<number>;
  /** Re-INVITE a=sendonly of call `id` (a second call needs the first paused). */
  pause(id: number): Promise<void>;
  resume(id: number): Promise<void>;
  /** Blind transfer of call `id` (REFER, Refer-To `uri`). */
  transfer(id: number, uri: string): Promise<void>;
  /** Attended transfer: REFER on call `id` whose Refer-To names call `toCallId`'s dialog (Replaces). */
  transferToCall(id: number, toCallId: number): Promise<void>;
  terminate(id: number): Promise<void>;
  /** Its console output so far (call state lines). */
  output(): string;
  /** Its log file (`-d 6`), for failure messages. */
  readonly logFile: string;
  /** The WAV of what it decoded in its calls (`record`). */
  readonly heardFile: string;
  recentToneRatio(hz: number, ms?: number): number;
  /** SIGKILL. */
  stop(): Promise<void>;
}

export async function startLinphone(options: PhoneOptions): Promise<Linphone> {
  const { name, toneHz } = options;
  const binary = requireBinary('linphonec', 'linphone-cli');
  const { root, home, tone, sipPort, rtp } = await phoneFolder(options, 6);
  mkdirSync(join(home, '.local', 'share', 'linphone'), { recursive: true });
  const heardFile = join(root, 'heard.wav');
  const logFile = join(root, 'linphone.log');
  const config = join(root, 'linphonerc');
  writeFileSync(
    config,
    [
      '[sip]',
      `sip_port=${sipPort}`,
      'sip_tcp_port=0',
      'sip_tls_port=0',
      'bind_address=127.0.0.1',
      // Both, or its From and Contact carry another interface's address or "unknown-host".
      'guess_hostname=0',
      `contact="${name}" <sip:${name}@127.0.0.1>`,
      '[rtp]',
      `audio_rtp_port=${rtp.min}`,
      `video_rtp_port=${rtp.min + 2}`,
      `text_rtp_port=${rtp.min + 4}`,
      'bind_address=127.0.0.1',
      '[sound]',
      'echocancellation=0',
      '[misc]',
      'enable_lime=0',
      '',
    ].join('\n'),
  );
  const proc = await startPhoneProcess(
    `linphonec ${name}`,
    binary,
    ['--pipe', '-a', '-c', config, '-d', '6', '-l', logFile],
    home,
    () => isBound('udp', sipPort),
    'pipe',
  );
  // linphonec reads its commands from a pipe the harness holds open for its life.
  const stdin = proc.child.stdin!;

  let lastWrite = 0;
  let queue = Promise.resolve();
  const command: Linphone['command'] = (line) => {
    queue = queue.then(async () => {
      const wait = lastWrite + COMMAND_SPACING_MS - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      stdin.write(`${line}\n`);
      lastWrite = Date.now();
    });
    return queue;
  };
  const expectOutput: Linphone['expectOutput'] = (pattern, timeoutMs = 20_000, from = 0) =>
    waitFor(
      `linphonec ${name} printing ${String(pattern)}`,
      () => proc.output().slice(from).match(pattern) ?? undefined,
      timeoutMs,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nlinphonec output:\n${proc.output().slice(-3000)}`);
    });

  await command('soundcard use files');
  await command(`play ${tone}`);
  await command(`record ${heardFile}`);

  return {
    name,
    uri: `sip:${name}@127.0.0.1:${sipPort}`,
    sipPort,
    toneHz,
    command,
    expectOutput,
    dial: async (uri) => {
      const from = proc.output().length;
      await command(`call ${uri}`);
      const m = await expectOutput(/Establishing call id to .*, assigned id (\d+)/, 10_000, from);
      return Number(m[1]);
    },
    answered: async (from = 0, timeoutMs = 20_000) => {
      const m = await expectOutput(/Call (\d+) with .* connected\./, timeoutMs, from);
      return Number(m[1]);
    },
    pause: (id) => command(`pause ${id}`),
    resume: (id) => command(`resume ${id}`),
    transfer: (id, uri) => command(`transfer ${id} ${uri}`),
    transferToCall: (id, toCallId) => command(`transfer ${id} --to-call ${toCallId}`),
    terminate: (id) => command(`terminate ${id}`),
    output: () => proc.output(),
    logFile,
    heardFile,
    recentToneRatio: (hz, ms = 1000) => recentToneRatioOf(heardFile, hz, ms),
    stop: async () => {
      stdin.destroy();
      await proc.kill();
    },
  };
}
