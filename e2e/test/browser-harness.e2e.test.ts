// The browser harness on its own: the Debian Chromium started with no outside connections, the test page
// served on 127.0.0.1 with JsSIP bundled from node_modules, and the page's WebAudio meter hearing the fake
// microphone's tone (and telling it from another tone and from speech). webrtc-browser.e2e.test.ts uses
// the same pieces against the platform.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeToneFile, waitFor } from '@callctl/testing';
import { speechHeard, toneHeard } from '../support/browser/audio-detection.js';
import { launchChromium, type Chromium } from '../support/browser/chromium.js';
import { startPageServer, type PageServer } from '../support/browser/page-server.js';
import { processTree, socketPeers } from '../support/browser/process-sockets.js';
import { openSoftphone, type SoftphonePage } from '../support/browser/softphone-page.js';

jest.setTimeout(60_000);

const MIC_HZ = 700;
const OTHER_HZ = 1000;

describe('browser harness', () => {
  let dir: string;
  let chromium: Chromium;
  let server: PageServer;
  let phone: SoftphonePage;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callctl-browser-'));
    const mic = makeToneFile(dir, 'mic.wav', 10, MIC_HZ, { rateHz: 48_000, volume: 0.5 });
    [chromium, server] = await Promise.all([launchChromium({ fakeMicrophoneWav: mic }), startPageServer()]);
    phone = await openSoftphone(chromium, server, [MIC_HZ, OTHER_HZ]);
  });
  afterAll(async () => {
    await phone?.close().catch(() => undefined);
    await chromium?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the page and its bundled SIP client from 127.0.0.1 and nothing else', async () => {
    expect(server.requests).toEqual(expect.arrayContaining(['/', '/softphone.js']));
    expect(phone.requests.length).toBeGreaterThan(0);
    for (const url of phone.requests) expect(url).toMatch(/^(https?|wss?):\/\/127\.0\.0\.1:\d+\//);
    expect(await phone.page.evaluate(() => typeof (globalThis as { softphone?: unknown }).softphone)).toBe(
      'object',
    );
    expect(phone.log.filter((line) => line.startsWith('pageerror'))).toEqual([]);
  });

  it('meters the fake microphone: hears its tone, not another tone, and no speech', async () => {
    await phone.meterMicrophone();
    await waitFor(
      'the microphone tone in the page analyser',
      async () => toneHeard(await phone.sent(1000), MIC_HZ),
      15_000,
    );
    const frames = await phone.sent(1000);
    expect(toneHeard(frames, OTHER_HZ)).toBe(false);
    expect(speechHeard(frames)).toBe(false);
  });

  it('connects two pages by WebRTC over loopback candidates only: each hears the other', async () => {
    const other = await openSoftphone(chromium, server, [MIC_HZ, OTHER_HZ]);
    try {
      const offer = await phone.peerOffer();
      const candidates = offer.split('\r\n').filter((line) => line.startsWith('a=candidate:'));
      expect(candidates.length).toBeGreaterThan(0);
      for (const line of candidates) expect(line).toContain(' 127.0.0.1 ');
      expect(offer).toContain('UDP/TLS/RTP/SAVPF');
      await phone.peerAccept(await other.peerAnswer(offer));
      // Both pages send the same fake microphone: what each hears is the other's, over DTLS-SRTP.
      await waitFor(
        'the remote tone in the other page',
        async () => toneHeard(await other.heard(1000), MIC_HZ),
        15_000,
      );
      await waitFor(
        'the remote tone back in the first page',
        async () => toneHeard(await phone.heard(1000), MIC_HZ),
        15_000,
      );
    } finally {
      await other.close();
    }
  });

  it("Chromium's own sockets are connected to loopback only", () => {
    // Read after the cases above: the page loads, the microphone and a WebRTC call have all run.
    const chromiumProcesses = processTree(process.pid, (command) => command.startsWith('chrom'));
    expect(chromiumProcesses.size).toBeGreaterThan(0);
    for (const peer of socketPeers(chromiumProcesses)) expect(peer).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/);
  });
});
