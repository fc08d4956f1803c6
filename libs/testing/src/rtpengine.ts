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
  return { host: '127.0.0.1', ngPort, mediaPorts, process: proc, stop: () => proc.stop() };
}

/** One bare ng ping (bencode over UDP), so readiness does not depend on the client under test. */
function ping(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(false);
    }, 200);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message.toString('latin1').includes('4:pong'));
    });
    socket.on('error', () => {
      clearTimeout(timer);
      socket.close();
      resolve(false);
    });
    socket.send(Buffer.from('readyping d7:command4:pinge', 'latin1'), port, host);
  });
}
