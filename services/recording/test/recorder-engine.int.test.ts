// The recorder engine on real UDP over loopback: parties send tones (G.711 from @callctl/rtp's encoders,
// G.722 from ffmpeg), the engine writes the WAV, and the file is read back and measured (Goertzel).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBound, seededRandom, waitFor, watchEventLoopStalls } from '@callctl/testing';
import type { AutoStopReason, ForkedParty, PartSettings } from '../src/app/ports.js';
import { createRecorderEngine, type RecorderEngineHandle } from '../src/app/recorder-engine.js';
import {
  PAYLOAD_TYPES,
  delay,
  g711Payloads,
  g722Payloads,
  sendPayloads,
  type TestCodec,
} from './support/tone-party.js';
import {
  longestQuiet,
  readChannels,
  rms,
  soundEndsAtMs,
  soundStartsAtMs,
  stretch,
  toneShare,
  windowedToneShares,
} from './support/wav-analysis.js';

let dir: string;
let engine: RecorderEngineHandle;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callctl-recorder-'));
  engine = createRecorderEngine();
});
afterAll(async () => {
  await engine.close();
  await rm(dir, { recursive: true, force: true });
});

function fork(port: number, codec: TestCodec, telephoneEventPayloadType = 0): ForkedParty {
  return {
    fromTag: `tag-${port}`,
    sinkPort: port,
    payloadType: PAYLOAD_TYPES[codec],
    codec,
    clockRate: 8000,
    sampleRate: codec === 'G722' ? 16000 : 8000,
    telephoneEventPayloadType,
    transcoded: false,
  };
}

let files = 0;
function settings(overrides: Partial<PartSettings> = {}): PartSettings {
  return {
    channels: 'dual',
    pauseMode: 'silence',
    maxDurationMs: 0,
    silenceTimeoutMs: 0,
    startDelayMs: 0,
    filePath: join(dir, `part-${++files}.wav`),
    paused: false,
    ...overrides,
  };
}

function autoStops() {
  const reasons: AutoStopReason[] = [];
  let idle = 0;
  return {
    reasons,
    idleCalls: () => idle,
    events: { onAutoStop: (reason: AutoStopReason) => reasons.push(reason), onIdle: () => void idle++ },
  };
}

describe('dual-channel', () => {
  it('puts party 0 on the left and party 1 on the right, as long as the sending lasted', async () => {
    const recorder = await engine.open(2);
    const [left, right] = recorder.ports;
    const part = settings();
    await recorder.start([fork(right!, 'PCMA'), fork(left!, 'PCMU')], part, autoStops().events); // any order
    const started = performance.now();
    await Promise.all([
      sendPayloads({ port: left!, payloadType: 0, payloads: g711Payloads('PCMU', 700, 3) }),
      sendPayloads({ port: right!, payloadType: 8, payloads: g711Payloads('PCMA', 1300, 3) }),
    ]);
    const elapsed = performance.now() - started;
    await delay(50); // the last datagrams reach the socket
    const result = await recorder.stop();

    expect(result).toMatchObject({
      sampleRate: 8000,
      channels: 2,
      pauses: [],
      received: [150, 150],
      lost: [0, 0],
    });
    expect(Math.abs(result.durationMs - elapsed)).toBeLessThan(100);
    expect(result.bytes).toBe((await stat(part.filePath)).size);
    expect(recorder.ports.some((port) => isBound('udp', port))).toBe(false); // sockets closed
    const { wav, channels } = await readChannels(part.filePath);
    expect(wav).toMatchObject({ sampleRate: 8000, channels: 2, dataSize: result.bytes - 44 });
    const [l, r] = channels.map((channel) => stretch(channel, 200, 2800));
    expect(toneShare(l!, 700)).toBeGreaterThan(0.9);
    expect(toneShare(l!, 1300)).toBeLessThan(0.01);
    expect(toneShare(r!, 1300)).toBeGreaterThan(0.9);
    expect(toneShare(r!, 700)).toBeLessThan(0.01);
    // No glitch: the tones have no silent 20 ms inside them.
    expect(longestQuiet(l!).lengthMs).toBe(0);
    expect(longestQuiet(r!).lengthMs).toBe(0);
  });

  it('keeps a party that starts a second later silent for that second (channels aligned to the clock)', async () => {
    const recorder = await engine.open(2);
    const [left, right] = recorder.ports;
    const part = settings();
    await recorder.start([fork(left!, 'PCMU'), fork(right!, 'PCMU')], part, autoStops().events);
    const started = performance.now();
    const [first, second] = await Promise.all([
      sendPayloads({ port: left!, payloadType: 0, payloads: g711Payloads('PCMU', 700, 3) }),
      delay(1000).then(() =>
        sendPayloads({ port: right!, payloadType: 0, payloads: g711Payloads('PCMU', 1300, 2) }),
      ),
    ]);
    const elapsed = performance.now() - started;
    const result = await recorder.stop();
    expect(Math.abs(result.durationMs - elapsed)).toBeLessThan(100);
    const [l, r] = (await readChannels(part.filePath)).channels;
    // Each channel's sound starts where its party started sending (a packet's audio ends when it came).
    expect(Math.abs(soundStartsAtMs(l!)! - (first.firstAtMs - started))).toBeLessThan(40);
    const rightStarts = soundStartsAtMs(r!)!;
    expect(second.firstAtMs - started).toBeGreaterThanOrEqual(1000);
    expect(Math.abs(rightStarts - (second.firstAtMs - started))).toBeLessThan(40);
    expect(rms(stretch(r!, 0, rightStarts))).toBe(0);
    expect(toneShare(stretch(r!, 1100, 2900), 1300)).toBeGreaterThan(0.9);
    expect(toneShare(stretch(l!, 100, 2900), 700)).toBeGreaterThan(0.9);
  });
});

it('mixes every party into one channel in mono', async () => {
  const recorder = await engine.open(2);
  const [a, b] = recorder.ports;
  const part = settings({ channels: 'mono' });
  await recorder.start([fork(a!, 'PCMU'), fork(b!, 'PCMA')], part, autoStops().events);
  const started = performance.now();
  await Promise.all([
    sendPayloads({ port: a!, payloadType: 0, payloads: g711Payloads('PCMU', 700, 2) }),
    sendPayloads({ port: b!, payloadType: 8, payloads: g711Payloads('PCMA', 1300, 2) }),
  ]);
  const elapsed = performance.now() - started;
  const result = await recorder.stop({ trimLastMs: 500 });
  expect(result.channels).toBe(1);
  expect(Math.abs(result.durationMs - (elapsed - 500))).toBeLessThan(100); // less the trimmed 500 ms
  const { wav, channels } = await readChannels(part.filePath);
  expect(wav.channels).toBe(1);
  expect(wav.dataSize).toBe((result.durationMs / 1000) * 8000 * 2);
  const mix = stretch(channels[0]!, 200, 1400);
  expect(toneShare(mix, 700)).toBeGreaterThan(0.35);
  expect(toneShare(mix, 1300)).toBeGreaterThan(0.35);
});

describe('pause and resume', () => {
  /** 3 s of tone with a pause about 1 s in, lasting about 1 s: when pause() and resume() ran (ms after start). */
  /**
   * The one party was placed by its timestamps throughout. The test's sender shares the loaded box: a
   * burst after it stalled may land past the recorder's lead bound and cost a few samples (7 once, in a CI
   * run); more than a 20 ms frame would be the recorder's fault.
   */
  function expectSteadyParty(stats: ReadonlyArray<{ realigned: number; droppedSamples: number }>): void {
    expect(stats.map((s) => s.realigned)).toEqual([0]);
    expect(stats[0]!.droppedSamples).toBeLessThanOrEqual(160);
  }

  async function recordWithPause(pauseMode: 'silence' | 'cut') {
    const recorder = await engine.open(1);
    const part = settings({ channels: 'mono', pauseMode });
    await recorder.start([fork(recorder.ports[0]!, 'PCMU')], part, autoStops().events);
    const started = performance.now();
    const sending = sendPayloads({
      port: recorder.ports[0]!,
      payloadType: 0,
      payloads: g711Payloads('PCMU', 700, 3),
    });
    await delay(1000);
    const pausedAt = performance.now() - started;
    recorder.pause();
    await delay(1000);
    const resumedAt = performance.now() - started;
    recorder.resume();
    await sending;
    await delay(50);
    const elapsed = performance.now() - started;
    const result = await recorder.stop();
    return {
      result,
      elapsed,
      pausedAt,
      resumedAt,
      stats: recorder.partyStats,
      channel: (await readChannels(part.filePath)).channels[0]!,
    };
  }

  it('writes silence while paused with pauseMode silence, and lists the pause where it is', async () => {
    const before = Date.now();
    const { result, channel, pausedAt, resumedAt, elapsed, stats } = await recordWithPause('silence');
    expectSteadyParty(stats);
    expect(Math.abs(result.durationMs - elapsed)).toBeLessThan(100);
    const quiet = longestQuiet(channel);
    expect(Math.abs(quiet.startMs - pausedAt)).toBeLessThan(40);
    expect(Math.abs(quiet.lengthMs - (resumedAt - pausedAt))).toBeLessThan(40);
    expect(result.pauses).toHaveLength(1);
    const [pause] = result.pauses;
    expect(Math.abs(pause!.offsetMs - quiet.startMs)).toBeLessThanOrEqual(40);
    expect(Math.abs(pause!.durationMs - (resumedAt - pausedAt))).toBeLessThan(40);
    expect(pause!.pausedAtMs).toBeGreaterThanOrEqual(before);
    expect(pause!.resumedAtMs! - pause!.pausedAtMs).toBeGreaterThanOrEqual(990);
    expect(toneShare(stretch(channel, 100, 900), 700)).toBeGreaterThan(0.9);
    expect(toneShare(stretch(channel, 2100, 2900), 700)).toBeGreaterThan(0.9);
  });

  it('writes nothing while paused with pauseMode cut: the file is shorter by the pause', async () => {
    const { result, channel, pausedAt, resumedAt, elapsed, stats } = await recordWithPause('cut');
    expectSteadyParty(stats);
    expect(Math.abs(result.durationMs - (elapsed - (resumedAt - pausedAt)))).toBeLessThan(100);
    // The audio before and after the pause meet without a gap (the first 100 ms: the sender starting up).
    expect(longestQuiet(stretch(channel, 100, result.durationMs - 100)).lengthMs).toBe(0);
    const [pause] = result.pauses;
    expect(Math.abs(pause!.offsetMs - pausedAt)).toBeLessThan(40);
    expect(Math.abs(pause!.durationMs - (resumedAt - pausedAt))).toBeLessThan(40);
    expect(toneShare(stretch(channel, 100, 1900), 700)).toBeGreaterThan(0.9);
  });

  it('honours a pause() that came before start() (PauseRecording while the forks were set up)', async () => {
    const recorder = await engine.open(1);
    recorder.pause();
    const part = settings({ channels: 'mono', pauseMode: 'cut' });
    await recorder.start([fork(recorder.ports[0]!, 'PCMU')], part, autoStops().events);
    const sending = sendPayloads({
      port: recorder.ports[0]!,
      payloadType: 0,
      payloads: g711Payloads('PCMU', 700, 0.6),
    });
    await delay(300);
    expect(recorder.recordedMs).toBe(0);
    expect(recorder.pauses).toEqual([expect.objectContaining({ offsetMs: 0, durationMs: 0 })]);
    await sending;
    const result = await recorder.stop();
    expect(result.durationMs).toBe(0);
    expect(result.pauses).toHaveLength(1);
  });

  it('starts paused when told to (a part continuing a paused recording)', async () => {
    const recorder = await engine.open(1);
    const part = settings({ channels: 'mono', pauseMode: 'cut', paused: true });
    await recorder.start([fork(recorder.ports[0]!, 'PCMU')], part, autoStops().events);
    const started = performance.now();
    const sending = sendPayloads({
      port: recorder.ports[0]!,
      payloadType: 0,
      payloads: g711Payloads('PCMU', 700, 1.5),
    });
    await delay(500);
    expect(recorder.recordedMs).toBe(0);
    const resumedAt = performance.now() - started;
    recorder.resume();
    await sending;
    const elapsed = performance.now() - started;
    const result = await recorder.stop();
    expect(Math.abs(result.durationMs - (elapsed - resumedAt))).toBeLessThan(100);
    expect(result.pauses).toEqual([expect.objectContaining({ offsetMs: 0 })]);
    expect(Math.abs(result.pauses[0]!.durationMs - resumedAt)).toBeLessThan(40);
  });
});

it('stops a segment on silence by itself and cuts the trailing silence', async () => {
  const recorder = await engine.open(1);
  const part = settings({ channels: 'mono', silenceTimeoutMs: 1000 });
  const stops = autoStops();
  await recorder.start([fork(recorder.ports[0]!, 'PCMU')], part, stops.events);
  const payloads = [...g711Payloads('PCMU', 700, 1.5), ...g711Payloads('PCMU', 0, 2)]; // tone, then silence
  const sending = sendPayloads({ port: recorder.ports[0]!, payloadType: 0, payloads });
  const started = performance.now();
  while (stops.reasons.length === 0 && performance.now() - started < 5000) await delay(20);
  expect(stops.reasons).toEqual(['silence']);
  expect(performance.now() - started).toBeGreaterThan(2400); // 1.5 s of tone, then 1 s of silence
  const result = await recorder.stop();
  await sending;
  expect(stops.reasons).toEqual(['silence']); // once
  expect(Math.abs(result.durationMs - 1600)).toBeLessThan(100); // the tone and 100 ms after it
  const channel = (await readChannels(part.filePath)).channels[0]!;
  expect(toneShare(stretch(channel, 100, 1400), 700)).toBeGreaterThan(0.9);
});

it('stops a segment nobody spoke in after the timeout, keeping no audio', async () => {
  const recorder = await engine.open(1);
  const part = settings({ channels: 'mono', silenceTimeoutMs: 500 });
  const stops = autoStops();
  await recorder.start([fork(recorder.ports[0]!, 'PCMU')], part, stops.events);
  const sending = sendPayloads({
    port: recorder.ports[0]!,
    payloadType: 0,
    payloads: g711Payloads('PCMU', 0, 1.5),
  });
  await waitFor('the silence auto-stop', () => stops.reasons.length > 0, 5000);
  expect(stops.reasons).toEqual(['silence']);
  const result = await recorder.stop();
  await sending;
  expect(result.durationMs).toBe(0);
  expect((await readChannels(part.filePath)).wav.dataSize).toBe(0);
});

it('starts the file startDelayMs after start(): what a party sends meanwhile (over the beep) is not in it', async () => {
  const recorder = await engine.open(1);
  const part = settings({ channels: 'mono', startDelayMs: 500 });
  await recorder.start([fork(recorder.ports[0]!, 'PCMU')], part, autoStops().events);
  const started = performance.now();
  // 1300 Hz for the first 400 ms, inside the delay even if sending starts a little late; then 700 Hz.
  const payloads = [...g711Payloads('PCMU', 1300, 0.4), ...g711Payloads('PCMU', 700, 1.6)];
  await sendPayloads({ port: recorder.ports[0]!, payloadType: 0, payloads });
  const elapsed = performance.now() - started;
  const result = await recorder.stop();
  expect(Math.abs(result.durationMs - (elapsed - 500))).toBeLessThan(100);
  const channel = (await readChannels(part.filePath)).channels[0]!;
  expect(toneShare(stretch(channel, 0, result.durationMs), 700)).toBeGreaterThan(0.9);
  expect(toneShare(stretch(channel, 0, 300), 1300)).toBeLessThan(0.01);
});

it('stops by itself at maxDurationMs, with exactly that much audio', async () => {
  const recorder = await engine.open(2);
  const part = settings({ maxDurationMs: 1000 });
  const stops = autoStops();
  await recorder.start(
    [fork(recorder.ports[0]!, 'PCMU'), fork(recorder.ports[1]!, 'PCMU')],
    part,
    stops.events,
  );
  await sendPayloads({ port: recorder.ports[0]!, payloadType: 0, payloads: g711Payloads('PCMU', 700, 1.6) });
  expect(stops.reasons).toEqual(['max_duration']);
  expect(recorder.recordedMs).toBe(1000);
  const result = await recorder.stop();
  expect(result.durationMs).toBe(1000);
  const { wav } = await readChannels(part.filePath);
  expect(wav.dataSize).toBe(8000 * 2 * 2);
});

it('records a G.722 party and a PCMU party at 16 kHz, each tone on its channel', async () => {
  const g722 = await g722Payloads(dir, 700, 2.5);
  const recorder = await engine.open(2);
  const [left, right] = recorder.ports;
  const part = settings();
  await recorder.start([fork(left!, 'G722'), fork(right!, 'PCMU')], part, autoStops().events);
  const started = performance.now();
  await Promise.all([
    sendPayloads({ port: left!, payloadType: 9, payloads: g722 }),
    sendPayloads({ port: right!, payloadType: 0, payloads: g711Payloads('PCMU', 1300, 2.5) }),
  ]);
  const elapsed = performance.now() - started;
  const result = await recorder.stop();
  expect(result).toMatchObject({ sampleRate: 16000, channels: 2 });
  expect(Math.abs(result.durationMs - elapsed)).toBeLessThan(100);
  const { wav, channels } = await readChannels(part.filePath);
  expect(wav.sampleRate).toBe(16000);
  const [l, r] = channels.map((channel) => stretch(channel, 200, 2300));
  expect(toneShare(l!, 700)).toBeGreaterThan(0.9);
  expect(toneShare(l!, 1300)).toBeLessThan(0.01);
  expect(toneShare(r!, 1300)).toBeGreaterThan(0.9); // upsampled from 8 kHz
  expect(toneShare(r!, 700)).toBeLessThan(0.01);
});

it('keeps the tone and the duration through reordering, 5 % loss and telephone-events', async () => {
  const random = seededRandom(13);
  const payloads = g711Payloads('PCMU', 700, 3);
  const total = payloads.length + Math.floor(payloads.length / 25); // events included
  const drop = new Set<number>();
  const swapWithNext = new Set<number>();
  for (let i = 5; i < total - 5; i++) {
    const draw = random();
    if (draw < 0.05) drop.add(i);
    else if (draw < 0.1 && !drop.has(i - 1)) swapWithNext.add(i++);
  }
  const recorder = await engine.open(1);
  const part = settings({ channels: 'mono' });
  await recorder.start([fork(recorder.ports[0]!, 'PCMU', 101)], part, autoStops().events);
  // Sender and recorder share this process: a stall of its event loop (GC, the cores busy with other work)
  // delays packets past their playout and shows as silence the recorder did not make.
  const stalls = watchEventLoopStalls();
  const sendingFrom = Date.now();
  const started = performance.now();
  const sent = await sendPayloads({
    port: recorder.ports[0]!,
    payloadType: 0,
    payloads,
    drop,
    swapWithNext,
    eventPayloadType: 101,
  });
  const stalledMs = stalls.longestWithin(sendingFrom, Date.now());
  stalls.stop();
  await delay(50);
  const elapsed = performance.now() - started;
  const result = await recorder.stop();
  expect(recorder.partyStats).toEqual([expect.objectContaining({ realigned: 0, otherPayload: 0 })]);
  expect(drop.size).toBeGreaterThan(3);
  expect(swapWithNext.size).toBeGreaterThan(3);
  expect(result.received).toEqual([sent.sent]);
  expect(result.lost).toEqual([drop.size]);
  expect(Math.abs(result.durationMs - elapsed)).toBeLessThan(100);
  const channel = (await readChannels(part.filePath)).channels[0]!;
  expect(toneShare(stretch(channel, 100, 2900), 700)).toBeGreaterThan(0.85);
  // A lost packet is 20 ms of silence, never more (two in a row 40): reordered ones landed in their place.
  expect(longestQuiet(channel).lengthMs).toBeLessThanOrEqual(40 + Math.max(0, stalledMs - 20));
});

describe('a sender whose clock is off does not drift against the wall clock', () => {
  async function recordSender(intervalMs: number) {
    const recorder = await engine.open(1);
    const part = settings({ channels: 'mono' });
    await recorder.start([fork(recorder.ports[0]!, 'PCMU')], part, autoStops().events);
    const started = performance.now();
    const sent = await sendPayloads({
      port: recorder.ports[0]!,
      payloadType: 0,
      payloads: g711Payloads('PCMU', 700, 2.5),
      intervalMs,
    });
    await delay(300);
    const elapsed = performance.now() - started;
    const result = await recorder.stop();
    const channel = (await readChannels(part.filePath)).channels[0]!;
    return { result, elapsed, sentUntil: sent.lastAtMs - started, stats: recorder.partyStats[0]!, channel };
  }

  it('fast (2.5 s of audio in 2 s): the queue is bounded, the oldest dropped, the audio ends when sending did', async () => {
    const { result, elapsed, sentUntil, stats, channel } = await recordSender(16);
    expect(Math.abs(result.durationMs - elapsed)).toBeLessThan(100);
    // 500 ms too much audio, up to 200 ms of it may queue ahead of the clock: 300 to 500 ms dropped.
    expect(stats.droppedSamples).toBeGreaterThanOrEqual(0.3 * 8000);
    expect(stats.droppedSamples).toBeLessThanOrEqual(0.5 * 8000);
    const quiet = longestQuiet(stretch(channel, sentUntil + 250, result.durationMs));
    expect(quiet.lengthMs).toBeGreaterThan(0); // nothing queued plays on after the sender stopped
    expect(rms(stretch(channel, sentUntil + 250, result.durationMs))).toBe(0);
    // The tone in every 50 ms window with sound, but those where the audio was cut (a phase jump, an edge).
    const shares = windowedToneShares(stretch(channel, 0, sentUntil), 700, 50);
    expect(shares.length).toBeGreaterThan(30);
    expect(shares.filter((share) => share > 0.8).length).toBeGreaterThanOrEqual(0.8 * shares.length);
  });

  it('slow (2.5 s of audio in 3.1 s): the party is realigned to the clock rather than falling behind', async () => {
    const { result, elapsed, sentUntil, stats, channel } = await recordSender(25);
    expect(Math.abs(result.durationMs - elapsed)).toBeLessThan(100);
    expect(stats.realigned).toBeGreaterThan(0);
    // Its last packet is in the file about when it came, not 600 ms of accumulated lag later.
    const lastSound = soundEndsAtMs(channel)!;
    expect(Math.abs(lastSound - sentUntil)).toBeLessThan(260);
    // The tone in every 50 ms window with sound, but those where the audio was cut (a phase jump, an edge).
    const shares = windowedToneShares(stretch(channel, 0, sentUntil), 700, 50);
    expect(shares.length).toBeGreaterThan(30);
    expect(shares.filter((share) => share > 0.8).length).toBeGreaterThanOrEqual(0.8 * shares.length);
  });
});

it('follows a new SSRC with a new timestamp base (another source replaced the first) without a gap', async () => {
  const recorder = await engine.open(1);
  const part = settings({ channels: 'mono' });
  await recorder.start([fork(recorder.ports[0]!, 'PCMU')], part, autoStops().events);
  const started = performance.now();
  await sendPayloads({ port: recorder.ports[0]!, payloadType: 0, payloads: g711Payloads('PCMU', 700, 1) });
  await sendPayloads({
    port: recorder.ports[0]!,
    payloadType: 0,
    payloads: g711Payloads('PCMU', 1300, 1),
    firstTimestamp: 5,
  });
  const elapsed = performance.now() - started;
  const result = await recorder.stop();
  expect(Math.abs(result.durationMs - elapsed)).toBeLessThan(100);
  const channel = (await readChannels(part.filePath)).channels[0]!;
  expect(toneShare(stretch(channel, 100, 900), 700)).toBeGreaterThan(0.9);
  expect(toneShare(stretch(channel, 1200, elapsed - 100), 1300)).toBeGreaterThan(0.9);
  expect(longestQuiet(stretch(channel, 100, elapsed - 100)).lengthMs).toBeLessThanOrEqual(40);
});

it('calls onIdle when no party sent anything for the idle time, and again after each further period', async () => {
  const idleEngine = createRecorderEngine({ idleMs: 300 });
  try {
    const recorder = await idleEngine.open(2);
    const stops = autoStops();
    await recorder.start(
      [fork(recorder.ports[0]!, 'PCMU'), fork(recorder.ports[1]!, 'PCMU')],
      settings(),
      stops.events,
    );
    await sendPayloads({
      port: recorder.ports[1]!,
      payloadType: 0,
      payloads: g711Payloads('PCMU', 700, 0.6),
    });
    expect(stops.idleCalls()).toBe(0); // a party that talks keeps the part alive
    await delay(400);
    expect(stops.idleCalls()).toBe(1);
    await delay(300);
    expect(stops.idleCalls()).toBe(2);
    await recorder.stop();
  } finally {
    await idleEngine.close();
  }
});

it('refuses forks that do not match its ports, and start() twice', async () => {
  const recorder = await engine.open(2);
  await expect(
    recorder.start([fork(recorder.ports[0]!, 'PCMU')], settings(), autoStops().events),
  ).rejects.toThrow(/1 forks for 2 parties/);
  await expect(
    recorder.start([fork(recorder.ports[0]!, 'PCMU'), fork(1, 'PCMU')], settings(), autoStops().events),
  ).rejects.toThrow(/no fork arrives on port/);
  const forks = [fork(recorder.ports[0]!, 'PCMU'), fork(recorder.ports[1]!, 'PCMU')];
  await recorder.start(forks, settings(), autoStops().events);
  await expect(recorder.start(forks, settings(), autoStops().events)).rejects.toThrow(
    /start\(\) is called once/,
  );
  await recorder.abort();
  expect(engine.openRecorders).toBe(0);
});

it('rejects a start whose file cannot be created, and can then be aborted (its ports freed)', async () => {
  const recorder = await engine.open(1);
  const port = recorder.ports[0]!;
  expect(isBound('udp', port)).toBe(true);
  const part = settings({ filePath: join(dir, 'no-such-dir', 'part.wav') });
  await expect(recorder.start([fork(port, 'PCMU')], part, autoStops().events)).rejects.toThrow(/ENOENT/);
  await recorder.abort();
  await expect(recorder.stop()).rejects.toThrow(/part recorder that is stopped/);
  expect(engine.openRecorders).toBe(0);
  expect(isBound('udp', port)).toBe(false);
});
