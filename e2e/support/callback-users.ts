// The users a callback calls, as sipp UASs on the ports the callback service's dial plan names (one per
// leading character of the user: `1...` is user1's sipp, `2...` user2's), each with an RTP socket the test
// owns. The socket sends where the user's SIP UA was last told to send (the scenario logs `remote <ip>
// <port>` for every offer and answer it gets: the first INVITE, re-INVITEs of the announcement and the
// bridge), so a tone heard proves the SIP side as well as the media.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  waitFor,
  RtpEndpoint,
  startSipp,
  toneRatio,
  type RunningSipp,
  type SippResult,
} from '@callctl/testing';
import { sipMessages } from './wire-and-log.js';

const SCENARIOS = join(__dirname, '..', 'scenarios');
const FOLLOW_EVERY_MS = 50;
const SAMPLE_RATE = 8000;

/** What a user does when the platform calls. */
export type UserBehaviour =
  /** Answers (after ringMs) and stays until the platform's BYE. */
  | { kind: 'answers'; ringMs?: number }
  /** Answers, then hangs up once nothing came for quietMs (from the answer, again from each re-INVITE). */
  | { kind: 'answers-then-hangs-up'; ringMs?: number; quietMs: number }
  /** 486 Busy Here. */
  | { kind: 'busy' }
  /** Rings until CANCEL. */
  | { kind: 'rings' };

const SCENARIO_OF: Record<UserBehaviour['kind'], string> = {
  answers: 'callback-uas-answers-follows-reinvites-expect-bye.xml',
  'answers-then-hangs-up': 'callback-uas-answers-then-bye-after-recv-timeout.xml',
  busy: 'uas-busy.xml',
  rings: 'uas-rings-expect-cancel.xml',
};

export interface CallbackUser {
  /** The user as a request names it (`1happy`). */
  name: string;
  sipp: RunningSipp;
  rtp: RtpEndpoint;
  /** The address the UA was last told to send to (c= and m=), once it was told any. */
  remote(): string | undefined;
  /** Sends `hz` from the RTP socket (from now on, to wherever the UA is told to send). */
  sendTone(hz: number): void;
}

export interface CallbackUsers {
  /** Ports of the user sipps by leading character, for dialPlanByPrefix. */
  ports: Record<string, number>;
  /** Starts the sipp of a user (its port from the user's first character) with its RTP socket. */
  user(name: string, behaviour: UserBehaviour): Promise<CallbackUser>;
  /** Stops the sipps and closes the sockets of the users started since the last cleanUp. */
  cleanUp(): Promise<void>;
  close(): void;
}

/** `prefixes` are the leading characters of users that reach a sipp (each gets a port of its own). */
export async function callbackUsers(prefixes: readonly string[]): Promise<CallbackUsers> {
  const ports: Record<string, number> = {};
  for (const prefix of prefixes) ports[prefix] = await freePort();
  const logs = mkdtempSync(join(tmpdir(), 'callback-users-'));
  const running: Array<{ sipp: RunningSipp; rtp: RtpEndpoint; timer: NodeJS.Timeout }> = [];

  async function user(name: string, behaviour: UserBehaviour): Promise<CallbackUser> {
    const port = ports[name[0]!];
    if (port === undefined)
      throw new Error(`no sipp port for user ${name} (prefixes ${prefixes.join(', ')})`);
    const rtp = await RtpEndpoint.open();
    const logFile = join(logs, `${name}-${Date.now()}.log`);
    const timing =
      behaviour.kind === 'answers' || behaviour.kind === 'answers-then-hangs-up'
        ? ['-d', String(behaviour.ringMs ?? 0)]
        : [];
    const quiet =
      behaviour.kind === 'answers-then-hangs-up' ? ['-recv_timeout', String(behaviour.quietMs)] : [];
    const sipp = await startSipp({
      scenario: join(SCENARIOS, SCENARIO_OF[behaviour.kind]),
      port,
      args: ['-key', 'rtp_port', String(rtp.port), '-trace_logs', '-log_file', logFile, ...timing, ...quiet],
      timeoutMs: 120_000,
    });
    let remote: string | undefined;
    let tone: number | undefined;
    const follow = () => {
      const latest = lastRemote(logFile);
      if (latest && latest !== remote) {
        remote = latest;
        rtp.useRemote(latest);
        if (tone !== undefined) rtp.startTone(tone);
      }
    };
    const timer = setInterval(follow, FOLLOW_EVERY_MS);
    running.push({ sipp, rtp, timer });
    return {
      name,
      sipp,
      rtp,
      remote: () => remote,
      sendTone(hz) {
        tone = hz;
        if (remote) rtp.startTone(hz);
      },
    };
  }

  return {
    ports,
    user,
    async cleanUp() {
      const ending = running.splice(0);
      for (const { timer } of ending) clearInterval(timer);
      await Promise.all(ending.map(({ sipp }) => sipp.stop(1000)));
      await Promise.all(ending.map(({ rtp }) => rtp.close()));
    },
    close: () => rmSync(logs, { recursive: true, force: true }),
  };
}

/** The last `remote <ip> <port>` the scenario logged, as an SDP fragment for RtpEndpoint.useRemote. */
function lastRemote(logFile: string): string | undefined {
  if (!existsSync(logFile)) return undefined;
  const lines = readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => /^remote \d+\.\d+\.\d+\.\d+ \d+/.test(line));
  const last = lines.at(-1);
  if (!last) return undefined;
  const [, ip, port] = last.trim().split(/\s+/);
  // A held or not yet known address (0.0.0.0 or port 0) is not somewhere to send.
  if (ip === '0.0.0.0' || port === '0') return undefined;
  return `c=IN IP4 ${ip}\r\nm=audio ${port} RTP/AVP 0\r\n`;
}

/**
 * How long `rtp` heard `hz` over everything it received (ms, in 100 ms windows where the tone holds most of
 * the power): whether, and how much of, an announcement was heard when the test could not be watching.
 */
export function heardMs(rtp: RtpEndpoint, hz: number): number {
  const size = SAMPLE_RATE / 10;
  let windows = 0;
  for (let start = 0; start + size <= rtp.received.length; start += size) {
    if (toneRatio(rtp.received.slice(start, start + size), hz) > TONE_HEARD) windows++;
  }
  return windows * 100;
}

/** What a user's sipp saw of its call on the wire (sipp's clock, ms): compare these with each other only. */
export interface UserWire {
  /** Dialogs the platform opened with an INVITE (distinct Call-IDs). */
  calls: number;
  /** When the user's 200 to the first INVITE left. */
  answeredAt?: number;
  /** When each re-INVITE arrived. */
  reinvitedAt: number[];
  /** The platform's BYE, or the user's own. */
  byeReceivedAt?: number;
  byeSentAt?: number;
  cancelled: boolean;
}

export function userWire(result: SippResult): UserWire {
  const messages = sipMessages(result.messages);
  const invites = messages.filter((m) => m.direction === 'received' && m.firstLine.startsWith('INVITE '));
  const calls = new Set(invites.map((m) => m.callId));
  const first = (test: (m: (typeof messages)[number]) => boolean) => messages.find(test)?.atMs;
  const answeredAt = first(
    (m) => m.direction === 'sent' && m.method === 'INVITE' && m.firstLine.startsWith('SIP/2.0 200'),
  );
  return {
    calls: calls.size,
    answeredAt,
    // The first INVITE of the dialog opened it; the rest are re-INVITEs.
    reinvitedAt: invites.slice(1).map((m) => m.atMs),
    byeReceivedAt: first((m) => m.direction === 'received' && m.firstLine.startsWith('BYE ')),
    byeSentAt: first((m) => m.direction === 'sent' && m.firstLine.startsWith('BYE ')),
    cancelled: messages.some((m) => m.direction === 'received' && m.firstLine.startsWith('CANCEL ')),
  };
}

/** A tone alone in what an endpoint hears. */
export const TONE_HEARD = 0.5;

/** Each user hears the other's tone (each sends its own to wherever its UA was last told). */
export async function talk(
  user1: CallbackUser,
  user2: CallbackUser,
  tones: { user1Hz: number; user2Hz: number },
): Promise<void> {
  user1.sendTone(tones.user1Hz);
  user2.sendTone(tones.user2Hz);
  await waitFor('user1 heard by user2', () => user2.rtp.recentToneRatio(tones.user1Hz) > TONE_HEARD, 15_000);
  await waitFor('user2 heard by user1', () => user1.rtp.recentToneRatio(tones.user2Hz) > TONE_HEARD, 15_000);
}

/** When the bridge joined a user on the wire: its last re-INVITE (the bridge's), else its answer. */
const bridgedAt = (wire: UserWire): number | undefined => wire.reinvitedAt.at(-1) ?? wire.answeredAt;

/** Seconds a user was bridged on its wire: from the bridge joining it to the BYE, whoever sent it. */
export const bridgedSeconds = (wire: UserWire): number =>
  seconds(bridgedAt(wire), wire.byeSentAt ?? wire.byeReceivedAt);

/**
 * Throws unless the platform's BYE reached both users no earlier than the cap (less 200 ms of clock
 * granularity) and at most `lateS` after it, counted from user1's answer on its wire.
 */
export function expectReleasedAtCap(wire1: UserWire, wire2: UserWire, capS: number, lateS = 1): void {
  const byes = [wire1.byeReceivedAt, wire2.byeReceivedAt].map((bye) => seconds(wire1.answeredAt, bye));
  if (byes.some((s) => s < capS - 0.2 || s > capS + lateS))
    throw new Error(`BYEs ${byes.join(' s, ')} s after user1's answer, for a cap of ${capS} s (+${lateS} s)`);
}

/** Seconds between two wire times of one sipp run, failing when either is missing. */
function seconds(from: number | undefined, to: number | undefined): number {
  if (from === undefined || to === undefined) throw new Error(`not on the wire: ${from} -> ${to}`);
  return (to - from) / 1000;
}
