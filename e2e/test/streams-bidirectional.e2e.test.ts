// Bidirectional media streams (issue 18, voice bots) through the public API, with the stream gateway and the
// mixer as processes, sipp parties at RTP endpoints the test owns (caller 700 Hz, callee 1300 Hz) and a `ws`
// receiver that sends a 2000 Hz tone back as `media` frames: the caller hears it paced at 20 ms while still
// hearing the callee (a stream of the caller's leg: the callee does not hear the bot), a burst plays in real
// time, `clear` silences it within 100 ms, and `mark` comes back only once the audio before it was played.
import { type RtpEndpoint, watchEventLoopStalls } from '@callctl/testing';
import {
  CALLEE_HZ,
  CALLER_HZ,
  callParties,
  hearEachOther,
  hears,
  sleep,
  THIRD_HZ,
  TONE_ABSENT,
  TONE_DETECTED,
  TONE_PRESENT,
  type ConnectedCall,
} from '../support/call-parties.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { firstRun, inWindow, packetTones } from '../support/rtp-arrivals.js';
import { sequenceProblems, streamRequest } from '../support/stream-calls.js';
import { bodyOf, StreamReceiver, tonePayload } from '../support/stream-receiver.js';
import { waitFor } from '@callctl/testing';

jest.setTimeout(90_000);

const BOT_HZ = THIRD_HZ;
const PCMU_FRAME = 160;
/** The bounds: clear within 100 ms, plus the mixer's playout (40 ms) the contract allows for. */
const CLEAR_MS = 100 + 40;
/**
 * A mark may arrive this much before the endpoint saw the tone end. The gateway echoes it when it sent the
 * last frame before it plus the mixer's nominal 40 ms of playout; the way on to the phone (the mixer's tick,
 * rtpengine) takes a little more on a loaded box: 15 ms after the tone's end alone, 73 ms before it with
 * three other e2e files running beside it.
 */
const MARK_EARLY_MS = 60;

const stalls = watchEventLoopStalls();
afterAll(() => stalls.stop());

describe('bidirectional media streams (a voice bot)', () => {
  let p: PlatformUnderTest;
  let receiver: StreamReceiver;
  const parties = callParties(() => p);
  const { connectedCall } = parties;

  beforeAll(async () => {
    receiver = await StreamReceiver.open();
    p = await startPlatform({}, { mixer: true, streamGateway: true });
  }, 90_000);
  afterEach(() => parties.cleanUp());
  afterAll(async () => {
    await p?.close();
    await receiver?.close();
  });

  /** A bidirectional stream of the caller's leg, started and connected. */
  async function botOnCaller(call: ConnectedCall, path: string) {
    const { streamId } = await p.api.startStream(
      streamRequest(call.callId, receiver.url(path), { legId: call.callerLeg, bidirectional: true }),
    );
    await p.event('streamStarted', (e) => e.event.streamStarted.streamId === streamId);
    const start = await receiver.message(streamId, 'start');
    expect(bodyOf<{ bidirectional: boolean; legIds: string[] }>(start)).toMatchObject({
      bidirectional: true,
      legIds: [call.callerLeg],
    });
    const connection = await receiver.connection(streamId);
    // The mixer route is up once the bot's member is in the room; give the routing a moment.
    await sleep(500);
    return { streamId, connection };
  }

  const caller = (call: ConnectedCall) => call.callerRtp as RtpEndpoint;
  const botTone = (rtp: RtpEndpoint) => packetTones(rtp, BOT_HZ);
  /** When the bot's tone started (a run of 5 packets holding it) at `rtp` after `from`. */
  const botHeardAt = (rtp: RtpEndpoint, from: number) =>
    waitFor('the bot heard', () => firstRun(botTone(rtp), from, (r) => r > TONE_PRESENT), 5000, 10).catch(
      (error: unknown) => {
        const tails = [p.edge.streamGateway, p.edge.mixer, p.orchestrator]
          .map((service) => service && `--- ${service.name}\n${service.output().slice(-2500)}`)
          .join('\n');
        throw new Error(
          `${String(error)}: ${BOT_HZ} Hz ${rtp.recentToneRatio(BOT_HZ).toFixed(2)} in the last 400 ms of ${rtp.packetsReceived} packets\n${tails}`,
        );
      },
    );
  /** When it went away for good (a run of 10 packets without it) after `from`. */
  const botGoneAt = (rtp: RtpEndpoint, from: number, timeoutMs = 5000) =>
    waitFor('the bot gone', () => firstRun(botTone(rtp), from, (r) => r < TONE_ABSENT, 10), timeoutMs, 10);

  it('audio sent back paced at 20 ms is heard by the caller at 20 ms ± 5 ms intervals while it still hears the callee; the callee does not hear it', async () => {
    const call = await connectedCall('bot-paced');
    const { streamId, connection } = await botOnCaller(call, '/bot-paced');
    const sentAt = Date.now();
    const playing = connection.sendAudio(tonePayload(BOT_HZ, 3000), { frameBytes: PCMU_FRAME, paced: true });
    const heardAt = await botHeardAt(caller(call), sentAt);
    await sleep(1000);
    // Both at once: the bot and the callee, each clearly present in what the caller hears.
    expect(caller(call).recentToneRatio(BOT_HZ)).toBeGreaterThan(TONE_PRESENT);
    expect(caller(call).recentToneRatio(CALLEE_HZ)).toBeGreaterThan(TONE_PRESENT);
    // A leg stream: only that leg hears the bot; the callee hears the caller as before.
    expect(call.calleeRtp.recentToneRatio(BOT_HZ, 1000)).toBeLessThan(TONE_ABSENT);
    expect(call.calleeRtp.recentToneRatio(CALLER_HZ)).toBeGreaterThan(TONE_DETECTED);
    await playing;
    const goneAt = await botGoneAt(caller(call), heardAt + 2000);
    // Paced: the caller's packets 20 ms apart while the bot plays (the test's own event-loop stalls aside).
    const window = [heardAt + 200, goneAt - 200] as const;
    const gaps = inWindow(caller(call).arrivals, ...window)
      .map((a, i, all) => (i === 0 ? undefined : a.at - all[i - 1]!.at))
      .filter((g): g is number => g !== undefined);
    const allowance = Math.max(0, stalls.longestWithin(...window) - 5);
    const outside = gaps.filter((g) => Math.abs(g - 20) > 5 + allowance);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    console.log(
      `bot onset ${heardAt - sentAt} ms after the first frame, played ${goneAt - heardAt} ms for 3000 ms sent; caller's inter-arrival mean ${mean.toFixed(2)} ms, ${outside.length}/${gaps.length} outside 20±5 ms (allowance ${allowance} ms)`,
    );
    expect(Math.abs(mean - 20)).toBeLessThan(1);
    expect(outside.length).toBeLessThanOrEqual(Math.ceil(gaps.length * 0.02));
    expect(Math.abs(goneAt - heardAt - 3000)).toBeLessThan(300);
    expect(sequenceProblems(receiver.messagesOf(streamId))).toEqual([]);
    await p.api.hangup({ callId: call.callId, legId: '' });
  });

  it('a 2 s burst plays in real time; clear silences a long burst at the caller within 100 ms (+ the mixer’s 40 ms) and echoes a pending mark at once', async () => {
    const call = await connectedCall('bot-clear');
    const { connection, streamId } = await botOnCaller(call, '/bot-clear');
    const burstAt = Date.now();
    await connection.sendAudio(tonePayload(BOT_HZ, 2000), { frameBytes: PCMU_FRAME, paced: false });
    const heardAt = await botHeardAt(caller(call), burstAt);
    const goneAt = await botGoneAt(caller(call), heardAt + 1000);
    console.log(`a 2000 ms burst played ${goneAt - heardAt} ms`);
    expect(Math.abs(goneAt - heardAt - 2000)).toBeLessThan(200);

    // A 20 s burst (any frame length: 50 ms chunks), a mark after it, then clear after a second of it.
    const long = tonePayload(BOT_HZ, 20_000);
    const longAt = Date.now();
    await connection.sendAudio(long, { frameBytes: 400, paced: false });
    connection.mark('after-long');
    await botHeardAt(caller(call), longAt);
    await sleep(1000);
    const clearAt = Date.now();
    connection.clear();
    const silentAt = await botGoneAt(caller(call), clearAt - 200, 3000);
    // The last packet with the tone, before the run without it.
    const lastTone = botTone(caller(call))
      .filter((t) => t.at < silentAt && t.ratio > TONE_PRESENT)
      .at(-1)!.at;
    const mark = await receiver.message(
      streamId,
      'mark',
      (m) => bodyOf<{ name: string }>(m).name === 'after-long',
    );
    console.log(
      `clear: last bot packet ${lastTone - clearAt} ms after it, mark echoed ${mark.receivedAt - clearAt} ms after it`,
    );
    expect(lastTone - clearAt).toBeLessThanOrEqual(CLEAR_MS + stalls.longestWithin(clearAt, silentAt));
    expect(mark.receivedAt - clearAt).toBeLessThan(500);
    await hears('the caller still hears the callee', caller(call), (r) => r(CALLEE_HZ) > TONE_DETECTED, [
      CALLEE_HZ,
    ]);
    await p.api.hangup({ callId: call.callId, legId: '' });
  });

  it('a bidirectional stream of the whole call: both parties hear the bot and still each other; its end takes the bot out', async () => {
    const call = await connectedCall('bot-call');
    const { streamId } = await p.api.startStream(
      streamRequest(call.callId, receiver.url('/bot-call'), { bidirectional: true }),
    );
    await p.event('streamStarted', (e) => e.event.streamStarted.streamId === streamId);
    const connection = await receiver.connection(streamId);
    await sleep(500);
    const sentAt = Date.now();
    const playing = connection.sendAudio(tonePayload(BOT_HZ, 2000), { frameBytes: PCMU_FRAME, paced: true });
    await botHeardAt(caller(call), sentAt);
    await botHeardAt(call.calleeRtp, sentAt);
    await sleep(500);
    expect(caller(call).recentToneRatio(CALLEE_HZ)).toBeGreaterThan(TONE_PRESENT);
    expect(call.calleeRtp.recentToneRatio(CALLER_HZ)).toBeGreaterThan(TONE_PRESENT);
    await playing;
    await p.api.stopStream({ callId: call.callId, streamId });
    await p.event('streamStopped', (e) => e.event.streamStopped.streamId === streamId);
    // Audio sent after the stream ended goes nowhere; the parties hear each other as before.
    connection.send({ event: 'media', media: { payload: tonePayload(BOT_HZ, 1000).toString('base64') } });
    await sleep(1000);
    await hearEachOther(call);
    expect(caller(call).recentToneRatio(BOT_HZ, 600)).toBeLessThan(TONE_ABSENT);
    expect(call.calleeRtp.recentToneRatio(BOT_HZ, 600)).toBeLessThan(TONE_ABSENT);
    await p.api.hangup({ callId: call.callId, legId: '' });
  });

  it('mark comes back only once the audio before it was played out at the caller', async () => {
    const call = await connectedCall('bot-mark');
    const { connection, streamId } = await botOnCaller(call, '/bot-mark');
    const sentAt = Date.now();
    await connection.sendAudio(tonePayload(BOT_HZ, 1500), { frameBytes: PCMU_FRAME, paced: false });
    connection.mark('utterance-1');
    const heardAt = await botHeardAt(caller(call), sentAt);
    const mark = await receiver.message(
      streamId,
      'mark',
      (m) => bodyOf<{ name: string }>(m).name === 'utterance-1',
      10_000,
    );
    const goneAt = await botGoneAt(caller(call), heardAt + 500);
    console.log(
      `mark echoed ${mark.receivedAt - sentAt} ms after it was sent; the tone ended at the caller ${goneAt - sentAt} ms after`,
    );
    // Not when received: after the 1.5 s it follows were played (the endpoint saw the tone end).
    expect(mark.receivedAt - sentAt).toBeGreaterThan(1400);
    expect(mark.receivedAt).toBeGreaterThanOrEqual(
      goneAt - MARK_EARLY_MS - stalls.longestWithin(goneAt - 500, goneAt),
    );
    expect(mark.receivedAt - goneAt).toBeLessThan(500);
    expect(mark).toMatchObject({ event: 'mark', streamId, mark: { name: 'utterance-1' } });
    expect(receiver.problems()).toEqual([]);
    await p.api.hangup({ callId: call.callId, legId: '' });
  });
});
