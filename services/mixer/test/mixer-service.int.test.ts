// The mixer against real sockets: RtpEndpoints (libs/testing) are the participants, each sending its own
// tone in 20 ms PCMU packets; what each one hears is measured with Goertzel (toneRatio) on what arrived.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { mixer } from '@callctl/proto';
import { decodeAlaw, encodeAlaw } from '@callctl/rtp';
import {
  CodecEndpoint,
  encodeFrames,
  makeToneFile,
  RtpEndpoint,
  toneRatio,
  waitFor,
  watchEventLoopStalls,
} from '@callctl/testing';
import { MixerFixture } from './support/mixer-fixture';

const TONES = { a: 700, b: 1300, c: 2000 } as const;
type Name = keyof typeof TONES;
/** A tone counts as heard above this share of the received power, and as absent below ABSENT. */
const HEARD = 0.15;
const ABSENT = 0.02;

let fixture: MixerFixture;
const endpoints: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  fixture = await MixerFixture.start();
});

afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((endpoint) => endpoint.close()));
});

afterAll(async () => {
  await fixture.close();
});

async function endpoint(): Promise<RtpEndpoint> {
  const opened = await RtpEndpoint.open({ telephoneEvent: false });
  endpoints.push(opened);
  return opened;
}

/** A room with participants a, b and c, each an endpoint sending its tone to its port (latched). */
async function threeParties(hearing: Record<Name, Name[]>) {
  const roomId = `call-${randomUUID()}`;
  await fixture.createRoom(roomId);
  const parties = {} as Record<Name, RtpEndpoint>;
  for (const name of Object.keys(TONES) as Name[]) {
    const added = await fixture.addParticipant(roomId, name);
    parties[name] = await endpoint();
    parties[name].useRemote(added.sdp);
    parties[name].startTone(TONES[name]);
  }
  await fixture.setHearing(roomId, hearing);
  return { roomId, parties };
}

/** The share of each tone in the last `windowMs` that `party` received. */
function heard(party: RtpEndpoint, windowMs = 400): Record<Name, number> {
  return {
    a: party.recentToneRatio(TONES.a, windowMs),
    b: party.recentToneRatio(TONES.b, windowMs),
    c: party.recentToneRatio(TONES.c, windowMs),
  };
}

/** What `party` hears of each tone: heard, absent, or the share when it is neither. */
function expectHears(party: RtpEndpoint, present: Name[]): void {
  const ratios = heard(party);
  const verdict = (ratio: number) =>
    ratio > HEARD ? 'heard' : ratio < ABSENT ? 'absent' : `unclear ${ratio}`;
  const names = Object.keys(TONES) as Name[];
  expect(Object.fromEntries(names.map((name) => [name, verdict(ratios[name])]))).toEqual(
    Object.fromEntries(names.map((name) => [name, present.includes(name) ? 'heard' : 'absent'])),
  );
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 800));

describe('mixer: who hears whom', () => {
  it('gives each participant exactly the tones of its hearing row, never its own', async () => {
    const { parties } = await threeParties({ a: ['b'], b: ['a', 'c'], c: ['a', 'b', 'c'] });
    await settle();
    expectHears(parties.a, ['b']);
    expectHears(parties.b, ['a', 'c']);
    expectHears(parties.c, ['a', 'b']);
  });

  it('applies a new hearing row within 200 ms, with no gap over 60 ms in the listener stream', async () => {
    const { roomId, parties } = await threeParties({ a: ['b'], b: ['a'], c: ['a'] });
    await settle();
    expectHears(parties.b, ['a']);
    // The mixer and the endpoints share this process: a stall of it (GC, or the two cores busy with other
    // work) delays every packet at once. It is measured, so that a gap it explains is told apart from one
    // the switch made.
    const ownStalls = watchEventLoopStalls();
    const switchedAt = Date.now();
    await fixture.setHearing(roomId, { b: ['a', 'c'] });
    // Three packets (60 ms) of what b receives hold the new tone.
    const tookMs = await waitFor(
      'the new source in b',
      () => parties.b.recentToneRatio(TONES.c, 60) > HEARD && Date.now() - switchedAt,
      2000,
      5,
    );
    expect(tookMs).toBeLessThan(200);
    await settle();
    expectHears(parties.b, ['a', 'c']);
    const around = parties.b.arrivals.filter(({ at }) => at > switchedAt - 500 && at < switchedAt + 500);
    const gaps = around.slice(1).map(({ at }, i) => at - around[i]!.at);
    const stalledMs = ownStalls.longestWithin(switchedAt - 500, switchedAt + 500);
    ownStalls.stop();
    expect(around.length).toBeGreaterThan(40);
    // A stall holds back the packet before it and the one after: all of it adds to a gap (seen: a 153 ms
    // stall in a 194 ms gap while the machine ran two test suites at once).
    expect(Math.max(...gaps)).toBeLessThan(60 + stalledMs);
  });

  it('listen: a supervisor hears two recvonly forks, which are sent nothing', async () => {
    const roomId = `call-${randomUUID()}`;
    await fixture.createRoom(roomId);
    const recvonly = { direction: mixer.Direction.DIRECTION_RECVONLY };
    const forks = { a: await endpoint(), b: await endpoint() };
    for (const name of ['a', 'b'] as const) {
      const added = await fixture.addParticipant(roomId, `fork-${name}`, recvonly);
      expect(added.sdp).toContain('a=recvonly');
      forks[name].useRemote(added.sdp);
      forks[name].startTone(TONES[name]);
    }
    const supervisor = await endpoint();
    supervisor.useRemote((await fixture.addParticipant(roomId, 'sup')).sdp);
    supervisor.startTone(TONES.c);
    await fixture.setHearing(roomId, { sup: ['fork-a', 'fork-b'] });
    await settle();
    expectHears(supervisor, ['a', 'b']);
    expect([forks.a.packetsReceived, forks.b.packetsReceived]).toEqual([0, 0]);
  });

  it('takes a removed participant out of every mix', async () => {
    const { roomId, parties } = await threeParties({ a: ['b', 'c'], b: ['a'], c: ['a'] });
    await fixture.removeParticipant(roomId, 'c');
    await settle();
    expectHears(parties.a, ['b']);
  });

  it('mixes PCMA participants in PCMA', async () => {
    const roomId = `call-${randomUUID()}`;
    await fixture.createRoom(roomId);
    const pcma = await CodecEndpoint.open('PCMA');
    endpoints.push(pcma);
    const added = await fixture.addParticipant(roomId, 'pcma', { codec: 'PCMA' });
    expect(added.payloadType).toBe(8);
    expect(added.sdp).toContain('a=rtpmap:8 PCMA/8000');
    pcma.useRemote(added.sdp);
    pcma.startAudio(toneFrames(TONES.a));
    const pcmu = await endpoint();
    pcmu.useRemote((await fixture.addParticipant(roomId, 'pcmu')).sdp);
    pcmu.startTone(TONES.b);
    await fixture.setHearing(roomId, { pcma: ['pcmu'], pcmu: ['pcma'] });
    await settle();
    expectHears(pcmu, ['a']);
    expect(pcma.payloadTypes.get(8)).toBeGreaterThan(20);
    const samples = Array.from(decodeAlaw(Buffer.concat(pcma.received.slice(-20))));
    expect(toneRatio(samples, TONES.b)).toBeGreaterThan(0.5);
    expect(toneRatio(samples, TONES.a)).toBeLessThan(ABSENT);
  });
});

describe('mixer: a G.722 fork', () => {
  it('hears a recvonly G722 participant at its tone, with nothing of 4-8 kHz folded into the band', async () => {
    const roomId = `call-${randomUUID()}`;
    await fixture.createRoom(roomId);
    const dir = mkdtempSync(join(tmpdir(), 'mixer-g722-'));
    // Wideband senders (16 kHz audio, ffmpeg's G.722 encoder): 700 Hz, and 5 kHz, which sample dropping
    // would fold to 3 kHz.
    const senders = { a: TONES.a, alias: 5000 };
    for (const [name, hz] of Object.entries(senders)) {
      const g722 = await CodecEndpoint.open('G722');
      endpoints.push(g722);
      const added = await fixture.addParticipant(roomId, `fork-${name}`, {
        codec: 'G722',
        direction: mixer.Direction.DIRECTION_RECVONLY,
      });
      expect(added.payloadType).toBe(9);
      expect(added.sdp).toContain('a=rtpmap:9 G722/8000');
      g722.useRemote(added.sdp);
      g722.startAudio(
        await encodeFrames('G722', makeToneFile(dir, `${name}.wav`, 1, hz, { rateHz: 16000, volume: 0.3 })),
      );
    }
    const supervisor = await endpoint();
    supervisor.useRemote((await fixture.addParticipant(roomId, 'sup')).sdp);
    supervisor.startTone(TONES.c);
    await fixture.setHearing(roomId, { sup: ['fork-a', 'fork-alias'] });
    await settle();
    expectHears(supervisor, ['a']);
    expect(supervisor.recentToneRatio(8000 - senders.alias, 400)).toBeLessThan(ABSENT);
    const stats = await fixture.getRoom(roomId);
    expect(stats.participants.find((p) => p.participantId === 'fork-a')).toMatchObject({ codec: 'G722' });
  });
});

describe('mixer: where the mix goes', () => {
  it('sends nothing to a participant until it has sent (latching), then to where it sends from', async () => {
    const roomId = `call-${randomUUID()}`;
    await fixture.createRoom(roomId);
    const talker = await endpoint();
    talker.useRemote((await fixture.addParticipant(roomId, 'talker')).sdp);
    talker.startTone(TONES.a);
    const quiet = await endpoint();
    quiet.useRemote((await fixture.addParticipant(roomId, 'quiet')).sdp);
    await fixture.setHearing(roomId, { quiet: ['talker'] });
    await settle();
    expect(quiet.packetsReceived).toBe(0);
    quiet.startTone(0); // silence: enough to be latched onto
    await settle();
    expectHears(quiet, ['a']);
    const stats = await fixture.getRoom(roomId);
    expect(stats.participants.find((p) => p.participantId === 'quiet')?.remote).toBe(
      `127.0.0.1:${quiet.port}`,
    );
  });

  it('sends to the address ConnectParticipant names, and no longer to the latched one', async () => {
    const { roomId, parties } = await threeParties({ a: ['b'], b: ['a'], c: ['a'] });
    await settle();
    const elsewhere = await endpoint();
    const connected = await fixture.connectParticipant(roomId, 'a', elsewhere.sdp());
    expect(connected.remote).toBe(`127.0.0.1:${elsewhere.port}`);
    await waitFor('the mix at the new address', () => elsewhere.packetsReceived > 10, 2000);
    parties.a.clearReceived();
    await settle();
    expect(parties.a.packetsReceived).toBe(0);
    expectHears(elsewhere, ['b']);
  });
});

describe('mixer: counters', () => {
  it('counts packets in and out and the added latency (within 40 ms) per participant', async () => {
    const { roomId } = await threeParties({ a: ['b'], b: ['a'], c: ['a', 'b'] });
    await settle();
    const room = await fixture.getRoom(roomId);
    expect(room.callId).toBe(roomId);
    const a = room.participants.find((p) => p.participantId === 'a')!;
    expect(a).toMatchObject({ codec: 'PCMU', direction: mixer.Direction.DIRECTION_SENDRECV, hears: ['b'] });
    expect(a.packetsIn).toBeGreaterThan(20);
    expect(a.packetsOut).toBeGreaterThan(20);
    expect(a.lost).toBe(0);
    expect(a.addedLatencyP50Us).toBeGreaterThan(0);
    expect(a.addedLatencyP99Us).toBeLessThanOrEqual(45_000);
    expect(a.playoutTargetFrames).toBeGreaterThanOrEqual(1);
    expect(a.playoutTargetFrames).toBeLessThanOrEqual(a.underruns + 1);
  });
});

describe('mixer: errors', () => {
  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => 'OK',
      (error: { code: number }) => status[error.code],
    );

  it('answers NOT_FOUND for an unknown room, INVALID_ARGUMENT for a bad codec or id, OK to a repeated call', async () => {
    const roomId = `call-${randomUUID()}`;
    expect(await code(fixture.getRoom(roomId))).toBe('NOT_FOUND');
    expect(await code(fixture.addParticipant(roomId, 'x'))).toBe('NOT_FOUND');
    expect(await code(fixture.deleteRoom(roomId))).toBe('OK');
    await fixture.createRoom(roomId);
    expect(await code(fixture.createRoom(roomId))).toBe('OK');
    expect(await code(fixture.createRoom(roomId, 'another-call'))).toBe('ALREADY_EXISTS');
    // G722 is heard only (recvonly): the mixer sends PCMU or PCMA.
    expect(await code(fixture.addParticipant(roomId, 'x', { codec: 'G722' }))).toBe('INVALID_ARGUMENT');
    expect(await code(fixture.addParticipant(roomId, 'x', { codec: 'opus' }))).toBe('INVALID_ARGUMENT');
    expect(await code(fixture.addParticipant(roomId, 'bad id'))).toBe('INVALID_ARGUMENT');
    const first = await fixture.addParticipant(roomId, 'x');
    expect(await fixture.addParticipant(roomId, 'x')).toEqual(first);
    expect(await code(fixture.addParticipant(roomId, 'x', { codec: 'PCMA' }))).toBe('ALREADY_EXISTS');
    expect(await code(fixture.setHearing(roomId, { x: ['nobody'] }))).toBe('INVALID_ARGUMENT');
    expect(await code(fixture.connectParticipant(roomId, 'nobody', first.sdp))).toBe('NOT_FOUND');
    expect(await code(fixture.connectParticipant(roomId, 'x', 'v=0\r\n'))).toBe('INVALID_ARGUMENT');
    await fixture.deleteRoom(roomId);
    expect(await code(fixture.getRoom(roomId))).toBe('NOT_FOUND');
  });
});

/** 20 ms A-law frames of a continuous tone (one second, looped by the endpoint). */
function toneFrames(frequency: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let f = 0; f < 50; f++) {
    const samples = Int16Array.from({ length: 160 }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * frequency * (f * 160 + i)) / 8000)),
    );
    frames.push(Buffer.from(encodeAlaw(samples)));
  }
  return frames;
}
