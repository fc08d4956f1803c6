// A real browser as the platform's device: headless Chromium (e2e/support/browser) opens a page on
// 127.0.0.1 whose softphone (JsSIP, bundled from node_modules) registers over WSS with digest, calls the
// platform (the application answers, says a sentence the page's WebAudio analyser hears as speech, and
// collects the RFC 4733 digit the page sends), is called by CreateCall and answers (hearing what the
// application plays), and is dialled through from a carrier's PCMU caller: the page hears the caller's tone
// and the caller's RTP socket (the test's) hears the browser's fake microphone. The browser's media is
// WebRTC (ICE, DTLS-SRTP, rtcp-mux) through rtpengine; Opus on its leg is transcoded to the caller's PCMU.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  makeCertificateAuthority,
  makeToneFile,
  waitFor,
  type TestCertificateAuthority,
} from '@callctl/testing';
import { speechHeard, toneHeard, type AudioReading } from '../support/browser/audio-detection.js';
import { launchChromium, type Chromium } from '../support/browser/chromium.js';
import { startPageServer, type PageServer } from '../support/browser/page-server.js';
import { openSoftphone, type SoftphonePage } from '../support/browser/softphone-page.js';
import { callParties, TONE_DETECTED } from '../support/call-parties.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { serveFiles, type ToneServer } from '../support/tones.js';

jest.setTimeout(120_000);

const DOMAIN = 'webrtc.e2e.test';
const USER = 'alice';
const PASSWORD = 'alice-browser-secret';
/** The browser's fake microphone, and the far party's tone. */
const MIC_HZ = 700;
const FAR_HZ = 1300;
/** What the application plays to the browser. */
const PLAYED_HZ = 1000;
/** The carrier's address (a trunk's inbound source): sipp binds it on loopback. */
const CARRIER_SOURCE = '127.0.0.3';
/** Bounds for what crosses ICE, DTLS and the transcoder on a loaded machine: bounds, not expectations. */
const AUDIO_TIMEOUT_MS = 20_000;

describe('a WebRTC browser registered to the platform over WSS', () => {
  let dir: string;
  let ca: TestCertificateAuthority;
  let p: PlatformUnderTest;
  let chromium: Chromium;
  let server: PageServer;
  let phone: SoftphonePage;
  let files: ToneServer;
  const parties = callParties(() => p);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callctl-webrtc-'));
    ca = makeCertificateAuthority();
    const certificate = ca.issue('127.0.0.1');
    const mic = makeToneFile(dir, 'mic.wav', 10, MIC_HZ, { rateHz: 48_000, volume: 0.5 });
    // Each is kept as it comes up, so that afterAll stops it when another fails to start.
    const started = await Promise.allSettled([
      startPlatform(
        // JsSIP answers MD5 challenges only.
        { env: { DIGEST_ALGORITHMS: 'MD5' } },
        {
          provisioning: true,
          mediaServices: true,
          engineTransports: { wss: true, certificate: { ...certificate, caFile: ca.caFile } },
          // The browser's calls reach the test's application, as any inbound call.
          orchestratorEnv: { DEVICE_CALL_ROUTING: 'app' },
        },
      ).then((platform) => (p = platform)),
      launchChromium({ fakeMicrophoneWav: mic, trustedCertificates: [certificate.certFile] }).then(
        (browser) => (chromium = browser),
      ),
      startPageServer().then((pages) => (server = pages)),
    ]);
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    await p.provisioning!.api.putDomain(DOMAIN);
    await p.provisioning!.api.putUser(DOMAIN, USER, PASSWORD);
    // The service the browser calls: device calls are routed to a user or a trunk of the domain, and with
    // DEVICE_CALL_ROUTING=app the application, not the platform, answers them.
    await p.provisioning!.api.putUser(DOMAIN, 'ivr', 'ivr-never-registers');
    phone = await openSoftphone(chromium, server, [MIC_HZ, FAR_HZ, PLAYED_HZ]);
    makeToneFile(p.edge.dir, 'played.wav', 6, PLAYED_HZ);
    files = await serveFiles(p.edge.dir);
  });
  afterEach(() => parties.cleanUp());
  afterAll(async () => {
    await phone?.close().catch(() => undefined);
    await chromium?.close();
    await server?.close();
    await files?.close();
    await p?.close();
    ca?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until the page's frames of the last `ms` satisfy `check`, failing with the frames and its log. */
  const pageHears = (
    label: string,
    frames: () => Promise<AudioReading[]>,
    check: (f: AudioReading[]) => boolean,
  ) =>
    waitFor(label, async () => check(await frames()), AUDIO_TIMEOUT_MS).catch(async (error: unknown) => {
      const last = (await frames())
        .slice(-10)
        .map((f) => `${f.rms.toFixed(4)}@${Math.round(f.dominantHz)}Hz`);
      throw new Error(`${String(error)}\nlast frames: ${last.join(' ')}\n--- page log\n${phone.tail()}`);
    });

  it('registers over WSS with digest: the registrar binds the browser to its WebSocket flow', async () => {
    const wsUri = `wss://127.0.0.1:${p.edge.engine.wssPort}`;
    await phone.register({ wsUri, uri: `sip:${USER}@${DOMAIN}`, password: PASSWORD });
    const bindings = await waitFor(
      'the browser binding',
      async () => {
        const found = await p.provisioning!.api.listRegistrations(DOMAIN, USER);
        return found.length > 0 ? found : undefined;
      },
      10_000,
    );
    expect(bindings).toEqual([expect.objectContaining({ transport: 'wss', sourceAddress: '127.0.0.1' })]);
    expect(phone.requests).toContain(`${wsUri}/`);
    // The page talked to nothing but the page server and the engine.
    for (const url of phone.requests) expect(url).toMatch(/^(https?|wss?):\/\/127\.0\.0\.1:\d+\//);
  });

  it('calls the platform: the application answers and says a sentence the page hears, and collects its DTMF digit', async () => {
    const calling = phone.call(`sip:ivr@${DOMAIN}`);
    const initiated = await p.event('legInitiated', (e) => e.event.legInitiated.toUri.includes('sip:ivr@'));
    const { callId, legId } = initiated.event.legInitiated;
    expect(initiated.event.legInitiated.user).toBe(`${USER}@${DOMAIN}`);
    await p.api.answerLeg({ callId, legId });
    await calling;
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);

    await p.api.say({
      callId,
      legId,
      speech: {
        input: { $case: 'text', text: 'Welcome to the browser test. Please press five after the tone.' },
      },
      idempotencyKey: `say-${callId}`,
    });
    await pageHears(
      'speech in the page analyser',
      () => phone.heard(3000),
      (f) => speechHeard(f),
    );

    const collect = await p.api.collectDigits({
      callId,
      legId,
      maxDigits: 1,
      terminators: '',
      firstDigitTimeoutMs: 20_000,
      interDigitTimeoutMs: 5_000,
      idempotencyKey: `collect-${callId}`,
      prompts: [],
      bargeIn: false,
    });
    await phone.sendDtmf('5', 'RFC2833');
    const collected = await p.event(
      'digitsCollected',
      (e) => e.event.digitsCollected.collectId === collect.collectId,
      30_000,
    );
    expect(collected.event.digitsCollected.digits).toBe('5');

    await phone.hangup();
    await p.event('legEnded', (e) => e.event.legEnded.legId === legId);
  });

  it('CreateCall to the browser user: the page answers the offerless INVITE and hears what the application plays', async () => {
    const { callId, legId } = await p.api.createCall({
      toUri: `sip:${USER}@${DOMAIN}`,
      fromUri: 'sip:operator@127.0.0.1',
      ringTimeoutMs: 20_000,
      maxDurationMs: 0,
      clientState: '',
      idempotencyKey: 'webrtc-call-alice',
    });
    expect(await phone.answerNext(20_000)).toBe('sip:operator@127.0.0.1');
    await p.event('legAnswered', (e) => e.event.legAnswered.legId === legId);

    await p.api.playMedia({
      callId,
      legId,
      media: { $case: 'url', url: files.url('played.wav') },
      repeat: 1,
      idempotencyKey: `play-${callId}`,
    });
    await pageHears(
      'the played tone in the page analyser',
      () => phone.heard(1000),
      (f) => toneHeard(f, PLAYED_HZ),
    );

    await p.api.hangup({ callId, legId: '' });
    await waitFor(
      'the page to see the call end',
      async () => (await phone.callState()).startsWith('ended'),
      10_000,
    );
  });

  it("a carrier's PCMU caller dialled through to the browser: the page answers; each hears the other", async () => {
    await p.provisioning!.api.putTrunk({ name: 'carrier-in', inboundSources: [CARRIER_SOURCE] });
    const farRtp = await parties.rtpEndpoint();
    await parties.sipp('uac-answered-expect-bye.xml', farRtp.port, {
      service: 'to-browser',
      args: ['-i', CARRIER_SOURCE],
    });
    const inbound = await parties.inboundCall('to-browser');
    const { callId } = inbound;
    const answering = phone.answerNext(20_000);
    await p.api.dial({
      callId,
      bridgeWithLegId: inbound.legId,
      toUri: `sip:${USER}@${DOMAIN}`,
      fromUri: '',
      ringTimeoutMs: 20_000,
      idempotencyKey: `dial-browser-${callId}`,
    });
    await answering;
    // The platform offered the browser Opus first: the PCMU caller and the browser are transcoded.
    expect(await phone.callCodec()).toBe('opus/48000/2');
    await p.event('legsBridged', (e) => e.event.legsBridged.callId === callId);
    farRtp.useRemote(await p.edge.rtpengineSideOf(await parties.mediaOf(inbound.legId)));
    farRtp.startTone(FAR_HZ);

    await pageHears(
      'the far tone in the page analyser',
      () => phone.heard(1000),
      (f) => toneHeard(f, FAR_HZ),
    );
    await waitFor(
      "the browser's microphone at the far party",
      () => farRtp.recentToneRatio(MIC_HZ) > TONE_DETECTED,
      AUDIO_TIMEOUT_MS,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}: heard ${MIC_HZ} Hz at ${farRtp.recentToneRatio(MIC_HZ).toFixed(2)}`);
    });

    await p.api.hangup({ callId, legId: '' });
    await waitFor(
      'the page to see the call end',
      async () => (await phone.callState()).startsWith('ended'),
      10_000,
    );
  });
});
