import { createSocket } from 'node:dgram';
import { requireBinary } from './binaries.js';
import { freePort, freePortBlock } from './ports.js';
import { startProcess, type ManagedProcess } from './process.js';
import { waitFor } from './wait-for.js';

export interface RtpengineFixtureOptions {
  /** UDP host:port that receives one JSON datagram per DTMF digit (--dtmf-log-dest). */
  dtmfLogDest?: string;
  /** Media ports to use. @default 400 ports (100 calls) drawn at random */
  mediaPorts?: { min: number; max: number };
  /** More daemon options, e.g. thread counts for a benchmark. */
  extraArgs?: string[];
}

export interface RtpengineFixture {
  host: string;
  /** ng control port (UDP and TCP). */
  ngPort: number;
  mediaPorts: { min: number; max: number };
  process: ManagedProcess;
  /** The call-ids it holds now (ng `list`). */
  listCalls(): Promise<string[]>;
  /**
   * Drops a call at once (ng `delete`), as rtpengine's own timeouts do: for tests of a session that
   * vanishes behind the services' backs.
   */
  deleteCall(callId: string): Promise<void>;
  stop(): Promise<void>;
}

/** A userspace rtpengine (no kernel module) on 127.0.0.1 for one test file. */
export async function startRtpengine(options: RtpengineFixtureOptions = {}): Promise<RtpengineFixture> {
  const binary = requireBinary('rtpengine', 'rtpengine-daemon');
  const ngPort = await freePort();
  const mediaPorts = options.mediaPorts ?? freePortBlock(400);
  const args = [
    '--config-file=none',
    '--table=-1',
    '--interface=127.0.0.1',
    `--listen-ng=127.0.0.1:${ngPort}`,
    `--listen-tcp-ng=127.0.0.1:${ngPort}`,
    `--port-min=${mediaPorts.min}`,
    `--port-max=${mediaPorts.max}`,
    '--delete-delay=0',
    // The local stack's timeouts (deploy/local/stack.sh); a test of a vanished session deletes it instead
    // of waiting for one, and extraArgs may shorten them.
    '--timeout=60',
    '--silent-timeout=3600',
    '--final-timeout=14400',
    '--offer-timeout=300',
    // One thread sends the played media (the default is one per core): handing playbacks between threads
    // cost rtpengine about a fifth of its CPU per call on 2 cores, in the full-stack benchmark side by side.
    '--media-num-threads=1',
    '--foreground',
    '--log-stderr',
    '--log-level=5',
    ...(options.dtmfLogDest ? [`--dtmf-log-dest=${options.dtmfLogDest}`] : []),
    ...(options.extraArgs ?? []),
  ];
  const proc = startProcess(binary, args);
  try {
    await waitFor(
      'rtpengine ng ping',
      async () => {
        if (proc.child.exitCode !== null) throw new Error(`rtpengine exited: ${proc.output()}`);
        return ping('127.0.0.1', ngPort);
      },
      10_000,
      50,
    );
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    ngPort,
    mediaPorts,
    process: proc,
    listCalls: () => listRtpengineCalls('127.0.0.1', ngPort),
    deleteCall: async (callId) => {
      const reply = await ngCommand('127.0.0.1', ngPort, 'delete', 2000, { 'call-id': callId });
      if (!reply?.includes('6:result2:ok')) throw new Error(`rtpengine delete ${callId}: ${String(reply)}`);
    },
    stop: () => proc.stop(),
  };
}

/**
 * One ng command (bencode over UDP) with string arguments, written here so the fixture does not depend on
 * the client under test; resolves with the reply's text after the cookie, or undefined without a reply in
 * time.
 */
function ngCommand(
  host: string,
  port: number,
  command: string,
  timeoutMs = 200,
  args: Record<string, string> = {},
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const cookie = `fixture${Math.random().toString(36).slice(2, 10)}`;
    const finish = (reply: string | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('message', (message) => {
      const text = message.toString('latin1');
      if (text.startsWith(`${cookie} `)) finish(text.slice(cookie.length + 1));
    });
    socket.on('error', () => finish(undefined));
    // Bencoded dictionary: keys in sorted order, each string as <length>:<bytes>.
    const entries = Object.entries({ ...args, command }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const dict = entries.map(([k, v]) => `${k.length}:${k}${Buffer.byteLength(v, 'latin1')}:${v}`).join('');
    socket.send(Buffer.from(`${cookie} d${dict}e`, 'latin1'), port, host);
  });
}

async function ping(host: string, port: number): Promise<boolean> {
  return (await ngCommand(host, port, 'ping'))?.includes('4:pong') ?? false;
}

/** The call-ids rtpengine holds (ng `list`): bencoded as `5:callsl<len>:<id>...e`. */
async function listRtpengineCalls(host: string, port: number): Promise<string[]> {
  const reply = await ngCommand(host, port, 'list', 2000);
  const at = reply?.indexOf('5:callsl') ?? -1;
  if (reply === undefined || at < 0) throw new Error(`rtpengine list: unexpected reply ${String(reply)}`);
  const calls: string[] = [];
  let i = at + '5:callsl'.length;
  while (reply[i] !== 'e') {
    const colon = reply.indexOf(':', i);
    const length = Number(reply.slice(i, colon));
    calls.push(reply.slice(colon + 1, colon + 1 + length));
    i = colon + 1 + length;
  }
  return calls;
}
