// A real Session Recording Server for the SIPREC tests: drachtio-siprec-recording-server (npm, MIT) as a
// child process, against a second instance of the project's SIP engine, with its own rtpengine recording
// what it receives to pcap. The recorder is installed once into .state/siprec-srs/ of the repository by
// deploy/local/siprec-srs.sh (run from here when the install is missing).
//
// Its quirks (verified): it answers with two m-lines and no direction attribute (implicitly sendrecv), it
// expects exactly two m-lines, it answers a re-INVITE with its first answer without asking rtpengine, and
// it records each m-line through its rtpengine's offer (m-line 1) and answer (m-line 2).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  startProcess,
  startRtpengine,
  waitFor,
  type ManagedProcess,
  type RtpengineFixture,
} from '@callctl/testing';
import { startSipEngine, type SipEngineProcess } from './services.js';

const ROOT = join(__dirname, '..', '..');
const INSTALL_SCRIPT = join(ROOT, 'deploy', 'local', 'siprec-srs.sh');
const PACKAGE_DIR = join(ROOT, '.state', 'siprec-srs', 'package');
const INSTALLED_MARK = join(PACKAGE_DIR, '.installed-1.0.1');
/** The media ports an SRS's rtpengine may use (CONTRACT: 48000-48999), in blocks of this size. */
const SRS_PORTS = { min: 48000, max: 48999, block: 200 };

export interface SiprecSrs {
  /** Where to send the SIPREC INVITE. */
  uri: string;
  /** Where its rtpengine writes `pcaps/<call-id>-<hex>.pcap`. */
  recordingDir: string;
  engine: SipEngineProcess;
  rtpengine: RtpengineFixture;
  app: ManagedProcess;
  /** The finished pcap files of a recording session (its SIP Call-ID); complete once the session ended. */
  pcapsOf(sipCallId: string): string[];
  /** The SRS app's log so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Installs the recorder into .state/siprec-srs/ unless it is there (idempotent; npm pack + npm install). */
export function ensureSiprecSrsInstalled(): string {
  if (!existsSync(INSTALLED_MARK)) execFileSync(INSTALL_SCRIPT, { stdio: 'inherit', timeout: 180_000 });
  return PACKAGE_DIR;
}

export async function startSiprecSrs(): Promise<SiprecSrs> {
  const packageDir = ensureSiprecSrsInstalled();
  const recordingDir = mkdtempSync(join(tmpdir(), 'siprec-srs-'));
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
  };
  try {
    const engine = await startSipEngine();
    stops.push(() => engine.stop());
    // A random block, so test files running side by side rarely meet.
    const blocks = Math.floor((SRS_PORTS.max - SRS_PORTS.min + 1) / SRS_PORTS.block);
    const min = SRS_PORTS.min + Math.floor(Math.random() * blocks) * SRS_PORTS.block;
    const rtpengine = await startRtpengine({
      mediaPorts: { min, max: min + SRS_PORTS.block - 1 },
      extraArgs: ['--recording-method=pcap', `--recording-dir=${recordingDir}`],
    });
    stops.push(async () => {
      // rtpengine 10.5 crashes (SIGSEGV in recording_finish, a core file in the cwd) when it exits holding a
      // recorded call, as after a session the SRS never answered: such calls are deleted first.
      for (const callId of await rtpengine.listCalls().catch(() => []))
        await rtpengine.deleteCall(callId).catch(() => undefined);
      await rtpengine.stop();
    });
    const config = {
      drachtio: { host: '127.0.0.1', port: engine.adminPort, secret: engine.secret },
      rtpengine: { remote: { host: '127.0.0.1', port: rtpengine.ngPort }, localPort: await freePort() },
    };
    const app = startProcess(process.execPath, ['app.js'], {
      cwd: packageDir,
      env: { ...process.env, NODE_CONFIG: JSON.stringify(config), NODE_ENV: 'siprec-test' },
    });
    stops.push(() => app.stop());
    await waitFor(
      'the SRS connected to its SIP engine',
      () => {
        if (app.child.exitCode !== null) throw new Error(`the SRS exited:\n${app.output()}`);
        return app.output().includes('inbound connection to drachtio listening on');
      },
      20_000,
      50,
    );
    return {
      uri: `sip:srs@127.0.0.1:${engine.sipPort}`,
      recordingDir,
      engine,
      rtpengine,
      app,
      pcapsOf: (sipCallId) => {
        const dir = join(recordingDir, 'pcaps');
        if (!existsSync(dir)) return [];
        return readdirSync(dir)
          .filter((name) => name.startsWith(`${sipCallId}-`) && name.endsWith('.pcap'))
          .map((name) => join(dir, name));
      },
      output: () => app.output(),
      stop: async () => {
        await stopAll();
        rmSync(recordingDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopAll();
    rmSync(recordingDir, { recursive: true, force: true });
    throw error;
  }
}
