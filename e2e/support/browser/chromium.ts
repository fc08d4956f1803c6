// A real headless Chromium (the Debian package) for the browser tests, started so that it talks to nothing
// but 127.0.0.1: every switch that makes it phone home is off, every host name resolves to nothing, and the
// DevTools protocol runs over a pipe rather than a TCP port. Its microphone is a fake device reading a WAV
// file the test makes, so what the far end hears is a known tone.
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Features whose only use here would be a connection to a Google service or a LAN discovery. */
const DISABLED_FEATURES = [
  'AutofillServerCommunication',
  'CertificateTransparencyComponentUpdater',
  'DialMediaRouteProvider',
  'MediaRouter',
  'OptimizationHints',
  'Translate',
  // Host candidates as mDNS names would be unreachable for rtpengine, which cannot resolve `.local`.
  'WebRtcHideLocalIpsWithMdns',
];

export interface ChromiumOptions {
  /** The fake microphone's WAV file (Chromium loops it). */
  fakeMicrophoneWav: string;
  /** Server certificates (PEM files) Chromium accepts without a trusted chain: the test's WSS engine's. */
  trustedCertificates?: readonly string[];
  /** Where the profile lives (deleted on close). */
  userDataDir: string;
}

/** base64(SHA-256(SubjectPublicKeyInfo)): the form --ignore-certificate-errors-spki-list takes. */
export function spkiHash(certificatePem: string): string {
  const spki = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** The whole command line: playwright's defaults are not used, so that this list is all there is. */
export function chromiumArgs(o: ChromiumOptions): string[] {
  const spkis = (o.trustedCertificates ?? []).map((file) => spkiHash(readFileSync(file, 'utf8')));
  return [
    '--headless',
    // Root has no user namespace sandbox on this machine; the page is the test's own.
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    `--user-data-dir=${o.userDataDir}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
    '--disable-domain-reliability',
    '--disable-client-side-phishing-detection',
    '--disable-breakpad',
    '--disable-crash-reporter',
    '--no-pings',
    '--metrics-recording-only',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    `--disable-features=${DISABLED_FEATURES.join(',')}`,
    // Belt and braces: whatever slipped past the switches above resolves to nothing. The rule maps IP
    // literals too, hence the exclusion; the tests use 127.0.0.1 only.
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-audio-capture=${o.fakeMicrophoneWav}`,
    // Audio plays and AudioContexts run without a click.
    '--autoplay-policy=no-user-gesture-required',
    // WebRTC leaves loopback interfaces out of ICE unless told; every test peer is on 127.0.0.1.
    '--allow-loopback-in-peer-connection',
    ...(spkis.length > 0 ? [`--ignore-certificate-errors-spki-list=${spkis.join(',')}`] : []),
    // The driver's DevTools connection: a pipe to the parent, no listening port.
    '--remote-debugging-pipe',
    '--no-startup-window',
  ];
}

export interface Chromium {
  browser: Browser;
  /** What Chromium wrote to stderr (its own logs), for failure messages. */
  output(): string;
  close(): Promise<void>;
}

const LAUNCH_TIMEOUT_MS = 30_000;

/** Starts Chromium; `close()` ends it and deletes its profile. */
export async function launchChromium(
  o: Omit<ChromiumOptions, 'userDataDir'> & { executablePath?: string },
): Promise<Chromium> {
  const executablePath = o.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath)) {
    throw new Error(
      `${executablePath} not found: install the Debian package chromium (deploy/local/stack.sh)`,
    );
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'callctl-chromium-'));
  let output = '';
  try {
    const browser = await chromium.launch({
      executablePath,
      ignoreDefaultArgs: true,
      args: chromiumArgs({ ...o, userDataDir }),
      timeout: LAUNCH_TIMEOUT_MS,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      logger: {
        isEnabled: (name) => name === 'browser',
        log: (name, _severity, message) => {
          output = `${output}${String(message)}\n`.slice(-20_000);
        },
      },
    });
    return {
      browser,
      output: () => output,
      async close() {
        await browser.close().catch(() => undefined);
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
