// A sip.js phone over SIP over WebSocket (sipjs-ua.mts, run from dist/ as its own Node process) with an
// RTP endpoint the test owns as its media: it sends a tone there and what it hears is what arrives there.
// It implements phone-calls.ts's Phone, so the call helpers used for baresip and linphone drive it too.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RtpEndpoint, waitFor } from '@callctl/testing';
import type { Phone } from './phone-calls.js';
import type { SipJsUaConfig } from './sipjs-ua.mjs';

const SCRIPT = join(__dirname, '..', 'dist', 'support', 'sipjs-ua.mjs');
const EVENT_TIMEOUT_MS = 10_000;

export interface SipJsPhoneOptions {
  /** ws://127.0.0.1:<port> or wss://127.0.0.1:<port> */
  server: string;
  user: string;
  domain: string;
  password: string;
  toneHz: number;
  /** The CA of the engine's WSS certificate (NODE_EXTRA_CA_CERTS of the process). */
  caFile?: string;
  /** @default 0 (no CRLF keep-alives) */
  keepAliveS?: number;
  /** @default 300 */
  expiresS?: number;
  /** Ask for RFC 5626 outbound. @default true */
  outbound?: boolean;
}

export interface SipJsEvent {
  event: string;
  [key: string]: unknown;
}

export interface SipJsPhone extends Phone {
  readonly rtp: RtpEndpoint;
  readonly events: SipJsEvent[];
  /** The `n`-th (from 0) event of this kind, waited for. */
  event(kind: string, n?: number, timeoutMs?: number): Promise<SipJsEvent>;
  hangup(): void;
  /** What it wrote to stderr (sip.js warnings, crashes). */
  stderr(): string;
}

export async function startSipJsPhone(options: SipJsPhoneOptions): Promise<SipJsPhone> {
  const rtp = await RtpEndpoint.open({ telephoneEvent: false });
  const config: SipJsUaConfig = {
    server: options.server,
    aor: `sip:${options.user}@${options.domain}`,
    password: options.password,
    sdp: rtp.sdp(),
    keepAliveS: options.keepAliveS ?? 0,
    expiresS: options.expiresS ?? 300,
    outbound: options.outbound ?? true,
  };
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [SCRIPT, JSON.stringify(config)], {
    env: { ...process.env, ...(options.caFile ? { NODE_EXTRA_CA_CERTS: options.caFile } : {}) },
    stdio: 'pipe',
  });
  const events: SipJsEvent[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    let parsed: SipJsEvent;
    try {
      parsed = JSON.parse(line) as SipJsEvent;
    } catch {
      return;
    }
    events.push(parsed);
    // The far end's media address: send the tone there from now on.
    if (parsed.event === 'remote-sdp') {
      rtp.useRemote(String(parsed.sdp));
      rtp.changeTone(options.toneHz);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const send = (command: Record<string, unknown>) => child.stdin.write(`${JSON.stringify(command)}\n`);
  const event: SipJsPhone['event'] = (kind, n = 0, timeoutMs = EVENT_TIMEOUT_MS) =>
    waitFor(
      `sip.js ${options.user} event ${kind} #${n}`,
      () => {
        const failed = events.find((e) => e.event === 'error' || e.event === 'register-failed');
        if (failed) throw new Error(`sip.js ${options.user}: ${JSON.stringify(failed)} ${stderr}`);
        return events.filter((e) => e.event === kind)[n];
      },
      timeoutMs,
    );
  return {
    uri: `sip:${options.user}@${options.domain}`,
    toneHz: options.toneHz,
    rtp,
    events,
    event,
    // Returns once the INVITE is asked for: the call is answered only when the platform's app says so.
    dial: (uri) => {
      send({ cmd: 'call', uri });
      return Promise.resolve();
    },
    hangup: () => send({ cmd: 'hangup' }),
    recentToneRatio: (hz, ms = 400) => rtp.recentToneRatio(hz, ms),
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null) {
        send({ cmd: 'stop' });
        const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(killer);
      }
      await rtp.close();
    },
  };
}
