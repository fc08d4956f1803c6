// The test's handle on the softphone page in Chromium: opens it from the page server, keeps what the page
// logged and every URL it requested, and calls `window.softphone` (e2e/browser-page/softphone.ts).
import type { Page } from 'playwright-core';
import type { RegisterOptions, SoftphoneApi } from '../../browser-page/softphone.js';
import type { AudioReading } from './audio-detection.js';
import type { Chromium } from './chromium.js';
import type { PageServer } from './page-server.js';

export type { RegisterOptions };

const PAGE_LOAD_TIMEOUT_MS = 20_000;

export interface SoftphonePage {
  page: Page;
  /** The page's console lines (JsSIP's debug log among them) and errors, for failure messages. */
  log: string[];
  /** Every URL the page requested, its WebSocket included. */
  requests: string[];
  register(o: RegisterOptions): Promise<void>;
  unregister(): Promise<void>;
  call(target: string): Promise<void>;
  answerNext(timeoutMs: number): Promise<string>;
  sendDtmf(digits: string, transportType: 'RFC2833' | 'INFO'): Promise<void>;
  hangup(): Promise<void>;
  heard(ms: number): Promise<AudioReading[]>;
  sent(ms: number): Promise<AudioReading[]>;
  meterMicrophone(): Promise<void>;
  callState(): Promise<string>;
  callCodec(): Promise<string>;
  peerOffer(): Promise<string>;
  peerAnswer(offer: string): Promise<string>;
  peerAccept(answer: string): Promise<void>;
  /** The end of the page's log. */
  tail(lines?: number): string;
  close(): Promise<void>;
}

declare const window: { softphone: SoftphoneApi };

/** Opens the page in a new tab; `tonesHz` are the frequencies its meters report. */
export async function openSoftphone(
  chromium: Chromium,
  server: PageServer,
  tonesHz: readonly number[] = [],
): Promise<SoftphonePage> {
  const context = await chromium.browser.newContext();
  const page = await context.newPage();
  const log: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => log.push(`pageerror: ${String(e)}`));
  page.on('request', (r) => requests.push(r.url()));
  page.on('websocket', (ws) => requests.push(ws.url()));
  await page.goto(server.url, { waitUntil: 'load', timeout: PAGE_LOAD_TIMEOUT_MS });
  await page.waitForFunction(() => 'softphone' in window, undefined, { timeout: PAGE_LOAD_TIMEOUT_MS });
  await page.evaluate((t) => window.softphone.setTones(t), [...tonesHz]);
  const tail = (lines = 60) => log.slice(-lines).join('\n');
  /** A page call whose error carries the page's log, which is what explains it. */
  const run = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      throw new Error(`softphone ${what}: ${String(error)}\n--- page log\n${tail()}`);
    }
  };
  return {
    page,
    log,
    requests,
    register: (o) => run('register', () => page.evaluate((x) => window.softphone.register(x), o)),
    unregister: () => run('unregister', () => page.evaluate(() => window.softphone.unregister())),
    call: (target) => run('call', () => page.evaluate((t) => window.softphone.call(t), target)),
    answerNext: (timeoutMs) =>
      run('answer', () => page.evaluate((ms) => window.softphone.answerNext(ms), timeoutMs)),
    sendDtmf: (digits, transportType) =>
      run('dtmf', () =>
        page.evaluate(([d, t]) => window.softphone.sendDtmf(d, t), [digits, transportType] as const),
      ),
    hangup: () => run('hangup', () => page.evaluate(() => window.softphone.hangup())),
    heard: (ms) => page.evaluate((x) => window.softphone.heard(x), ms),
    sent: (ms) => page.evaluate((x) => window.softphone.sent(x), ms),
    meterMicrophone: () => run('microphone', () => page.evaluate(() => window.softphone.meterMicrophone())),
    callState: () => page.evaluate(() => window.softphone.callState()),
    callCodec: () => page.evaluate(() => window.softphone.callCodec()),
    peerOffer: () => run('peer offer', () => page.evaluate(() => window.softphone.peerOffer())),
    peerAnswer: (offer) =>
      run('peer answer', () => page.evaluate((o) => window.softphone.peerAnswer(o), offer)),
    peerAccept: (answer) =>
      run('peer accept', () => page.evaluate((a) => window.softphone.peerAccept(a), answer)),
    tail,
    close: () => context.close(),
  };
}
