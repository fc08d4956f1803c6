// Routes through a mixer over a real rtpengine: the "mixer" is a plain RTP party the test owns.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { ensureFactsStream, mediaFactSubject } from '@callctl/bus';
import { facts } from '@callctl/proto';
import {
  CodecEndpoint,
  RtpEndpoint,
  encodeFrames,
  startProcess,
  toneRatio,
  waitFor,
  type ManagedProcess,
} from '@callctl/testing';
import { startOperationFixture, type OperationFixture } from '../../../test/support/operation-fixture.js';
import { mixerHealthWatch } from '../../adapters/grpc/mixer-health-watch.js';
import { mediaFactPublisher } from '../../adapters/nats/media-fact-publisher.js';
import { FactReporting } from '../fact-reporting.js';
import type { LocalPartyRecord, MixerRouteRecord, OfferParams, SinkMedia, StateTable } from '../ports.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { DtmfLogListener } from '../../adapters/rtpengine/dtmf-log.js';
import { DtmfDetection } from './dtmf-detection.js';
import { DtmfSending } from './dtmf-sending.js';
import { Forks } from './forks.js';
import { MixerRoutes, type LostRoute, type WatchMixer } from './mixer-routes.js';

jest.setTimeout(120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const heard = (e: RtpEndpoint, hz: number) => e.recentToneRatio(hz, 300) > 0.8;
/** A watch that never reports: the mixer is the test's RTP party, with no gRPC server. */
const noWatch: WatchMixer = () => ({ stop: () => undefined });
const noSink: SinkMedia = { keepSending: () => Promise.reject(new Error('no local party here')) };

/** The longest silence in what `e` received between `from` and `to` (ms since the epoch). */
function longestGap(arrivals: readonly number[], from: number, to: number): number {
  const within = arrivals.filter((at) => at >= from && at <= to);
  let gap = 0;
  for (let i = 1; i < within.length; i++) gap = Math.max(gap, within[i]! - within[i - 1]!);
  return gap;
}
const gapOf = (e: RtpEndpoint, from: number, to: number) =>
  longestGap(
    e.arrivals.map((a) => a.at),
    from - 100,
    to + 300,
  );

let f: OperationFixture;
const endpoints: Array<{ close(): Promise<void> }> = [];
const open = async (options?: { telephoneEvent?: boolean }) => {
  const e = await RtpEndpoint.open(options);
  endpoints.push(e);
  return e;
};
/** The test's mixer participants of the running test (they stop sending when it ends). */
const mixersOfTest: RtpEndpoint[] = [];
/** The test's mixer participant: PCMU only, as the mixer's SDP offers no telephone-event. */
const mixer = async () => {
  const e = await open({ telephoneEvent: false });
  mixersOfTest.push(e);
  return e;
};
// A restore deletes the session's mixer to-tag, and rtpengine may give its port to the next test's route:
// a mixer participant still sending there would be heard beside the new one.
afterEach(() => {
  for (const e of mixersOfTest.splice(0)) e.stopTone();
});

beforeAll(async () => {
  f = await startOperationFixture();
  await ensureFactsStream(f.nats);
});
afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
  await f?.close();
});

const measured: Record<string, number> = {};
afterAll(() => process.stdout.write(`mixer route gaps (ms): ${JSON.stringify(measured)}\n`));

function setUp(
  options: {
    watchMixer?: WatchMixer;
    locals?: Map<string, LocalPartyRecord>;
    state?: StateTable<MixerRouteRecord>;
    renewDtmf?: (sessionId: string, tag: string) => Promise<void>;
  } = {},
) {
  const sending = new DtmfSending({ relay: f.relay, sink: noSink, state: f.state.dtmfInjection, log: f.log });
  const lost: Array<LostRoute & { at: number }> = [];
  const reporting = new FactReporting({
    events: f.events,
    publish: mediaFactPublisher(f.nats, { giveUpAfterMs: 5000, attemptTimeoutMs: 1000, log: f.log }),
    factIdOf: () => randomUUID(),
    callOf: (sessionId) => sessionId,
    log: f.log,
  });
  const renewed: string[] = [];
  const routes = new MixerRoutes({
    relay: f.relay,
    sink: f.sink,
    relayedParty: (sessionId, tag) => sending.relayedParty(sessionId, tag),
    localParty: (sessionId, tag) => options.locals?.get(`${sessionId}/${tag}`),
    renewDtmf: async (sessionId, tag) => {
      renewed.push(`${sessionId}/${tag}`);
      await options.renewDtmf?.(sessionId, tag);
    },
    watchMixer: options.watchMixer ?? noWatch,
    mixerLost: (route) => {
      lost.push({ ...route, at: Date.now() });
      reporting.reportMixerLost(route);
    },
    state: options.state ?? f.state.mixerRoutes,
    log: f.log,
  });
  /** A relayed a<->b pair as sip-edge bridges them (a offers, b answers), tones flowing both ways. */
  /**
   * Relays a (offering `offer`, A) and b (answering, B) as sip-edge bridges them, the negotiations noted as
   * MediaSessions notes them; each told where to send.
   */
  const relay = async (a: { useRemote(sdp: string): void }, b: RtpEndpoint, offer: OfferParams) => {
    b.useRemote(await f.relay.offer(offer));
    sending.noteOffer(offer);
    const answer = { sessionId: offer.sessionId, fromTag: 'A', toTag: 'B', sdp: b.sdp() };
    a.useRemote(await f.relay.answer(answer));
    sending.noteAnswer(answer);
  };
  const bridged = async () => {
    const sessionId = `route-${randomUUID()}`;
    const a = await open();
    const b = await open();
    await relay(a, b, { sessionId, fromTag: 'A', sdp: a.sdp() });
    a.startTone(700);
    b.startTone(1300);
    await waitFor('a and b hear each other', () => heard(a, 1300) && heard(b, 700), 5000);
    return { sessionId, a, b };
  };
  /** The same with a G.722 offerer, as sip-edge offers a bridged leg (its codecs first, the policy's after). */
  const bridgedG722 = async () => {
    const sessionId = `route-${randomUUID()}`;
    const a = await CodecEndpoint.open('G722');
    endpoints.push(a);
    const b = await open();
    const codecs = { mask: ['g722'], transcode: ['G722', 'PCMU', 'PCMA'] };
    await relay(a, b, { sessionId, fromTag: 'A', sdp: a.sdp(), codecs });
    b.startTone(1300);
    a.startAudio(await encodeFrames('G722', f.tone('a-700.wav', 1, 700)));
    await waitFor('b hears a', () => heard(b, 700), 5000);
    return { sessionId, a, b };
  };
  /** Routes `tag` to a new mixer party sending `hz`; returns that party. */
  const route = async (sessionId: string, tag: string, hz: number, mixerAddress = '127.0.0.1:1') => {
    const mix = await mixer();
    const sdp = await routes.route({
      sessionId,
      tag,
      mixerSdp: mix.sdp(),
      mixerAddress,
      callId: sessionId,
      routeId: `in-${tag}`,
    });
    mix.useRemote(sdp);
    mix.startTone(hz);
    return { mix, sdp };
  };
  return { routes, sending, lost, renewed, bridged, bridgedG722, route };
}

/** rtpengine's port facing each party of the session (what the phones send to). */
async function portsOf(sessionId: string, tags: readonly string[]): Promise<number[]> {
  const reply = (await f.relay.querySession(sessionId)) as {
    tags: Record<string, { medias: Array<{ streams: Array<{ 'local port': number }> }> }>;
  };
  return tags.map((tag) => reply.tags[tag]!.medias[0]!.streams[0]!['local port']);
}

it('routes both parties of a bridged pair through the mixer and back: same ports, forks go on, short gaps', async () => {
  const { routes, bridged, route, renewed } = setUp();
  const { sessionId, a, b } = await bridged();
  const ports = await portsOf(sessionId, ['A', 'B']);
  // A fork of each party, as recording starts one.
  const recA = await open();
  const recB = await open();
  await new Forks({ relay: f.relay, log: f.log }).start({
    sessionId,
    forkId: 'rec',
    fromTags: ['A', 'B'],
    sinkAddress: '127.0.0.1',
    sinkPorts: [recA.port, recB.port],
    wideband: false,
  });
  await waitFor('forks', () => heard(recA, 700) && heard(recB, 1300), 5000);

  const t0 = Date.now();
  const { mix: mixA, sdp } = await route(sessionId, 'A', 500);
  const t1 = Date.now();
  const { mix: mixB } = await route(sessionId, 'B', 900);
  const t2 = Date.now();
  await waitFor('a hears mixer A, the mixer hears a', () => heard(a, 500) && heard(mixA, 700), 5000);
  await waitFor('b hears mixer B, the mixer hears b', () => heard(b, 900) && heard(mixB, 1300), 5000);
  expect(await portsOf(sessionId, ['A', 'B'])).toEqual(ports);
  measured.forkAcrossRoutes = Math.max(gapOf(recA, t0, t2), gapOf(recB, t0, t2));
  // a and b no longer hear each other (only their mixer parties), and the forks still copy each party.
  recA.clearReceived();
  recB.clearReceived();
  await sleep(400);
  expect(a.recentToneRatio(1300, 300)).toBeLessThan(0.1);
  expect(b.recentToneRatio(700, 300)).toBeLessThan(0.1);
  expect(heard(recA, 700) && heard(recB, 1300)).toBe(true);
  measured.routeA = gapOf(a, t0, t1);
  measured.routeB = gapOf(b, t1, t2);
  // The same route again changes nothing and answers the same SDP.
  expect(
    await routes.route({
      sessionId,
      tag: 'A',
      mixerSdp: mixA.sdp(),
      mixerAddress: '127.0.0.1:1',
      callId: sessionId,
      routeId: 'in-A',
    }),
  ).toBe(sdp);
  expect((await f.state.mixerRoutes.all()).filter((r) => r.value.sessionId === sessionId)).toHaveLength(2);

  // Restoring A gives the pair its direct path back, B included; the mixer hears nothing more.
  const t3 = Date.now();
  await routes.restore(sessionId, 'A');
  const t4 = Date.now();
  await waitFor('a and b hear each other again', () => heard(a, 1300) && heard(b, 700), 5000);
  mixA.clearReceived();
  mixB.clearReceived();
  recA.clearReceived();
  await sleep(400);
  expect(a.recentToneRatio(500, 300)).toBeLessThan(0.1);
  expect(b.recentToneRatio(900, 300)).toBeLessThan(0.1);
  expect(mixA.packetsReceived + mixB.packetsReceived).toBe(0);
  expect(heard(recA, 700)).toBe(true);
  expect(await portsOf(sessionId, ['A', 'B'])).toEqual(ports);
  measured.restoreA = gapOf(a, t3, t4);
  measured.restoreB = gapOf(b, t3, t4);
  await routes.restore(sessionId, 'B');
  await routes.restore(sessionId, 'A');
  expect((await f.state.mixerRoutes.all()).filter((r) => r.value.sessionId === sessionId)).toEqual([]);
  expect(renewed).toContain(`${sessionId}/A`);
  for (const gap of Object.values(measured)) expect(gap).toBeLessThan(100);
});

it('refuses a party it saw no offer and answer of, and a mixer SDP without audio; restores nothing fine', async () => {
  const { routes, bridged } = setUp();
  const { sessionId } = await bridged();
  const request = {
    sessionId,
    tag: 'C',
    mixerSdp: '',
    mixerAddress: '127.0.0.1:1',
    callId: '',
    routeId: 'in-C',
  };
  const mixerSdp = (await mixer()).sdp();
  await expect(routes.route({ ...request, mixerSdp })).rejects.toThrow(NotFoundError);
  await expect(routes.route({ ...request, tag: 'A', mixerSdp: 'v=0\r\n' })).rejects.toThrow(ValidationError);
  await expect(routes.restore(sessionId, 'A')).resolves.toBeUndefined();
});

it('routes a G.722 party to a PCMU mixer (rtpengine transcodes) and back', async () => {
  const { routes, bridgedG722, route } = setUp();
  const { sessionId, a, b } = await bridgedG722();
  const ports = await portsOf(sessionId, ['A', 'B']);
  const t0 = Date.now();
  const { mix: mixA } = await route(sessionId, 'A', 500);
  const t1 = Date.now();
  const { mix: mixB } = await route(sessionId, 'B', 900);
  await waitFor('the mixer hears a (transcoded)', () => heard(mixA, 700), 5000);
  await waitFor('b hears mixer B', () => heard(b, 900) && heard(mixB, 1300), 5000);
  await sleep(300);
  measured.g722RouteA = longestGap(a.arrivals, t0 - 100, t1 + 300);
  a.clearReceived();
  await sleep(600);
  expect(toneRatio((await a.decodeReceived()).slice(-2400), 500)).toBeGreaterThan(0.8);
  expect(await portsOf(sessionId, ['A', 'B'])).toEqual(ports);

  await routes.restore(sessionId, 'B');
  await waitFor('b hears a again', () => heard(b, 700), 5000);
  a.clearReceived();
  await sleep(600);
  expect(toneRatio((await a.decodeReceived()).slice(-2400), 1300)).toBeGreaterThan(0.8);
  expect(await portsOf(sessionId, ['A', 'B'])).toEqual(ports);
});

it('routes a locally answered party by answering it again with the mixer, and gives it back to the sink', async () => {
  const locals = new Map<string, LocalPartyRecord>();
  const { routes, route } = setUp({ locals });
  const { caller, offer } = await f.localCaller();
  locals.set(`${offer.sessionId}/caller`, { offer, localTag: 'local-caller' });
  caller.startTone(700);
  const ports = await portsOf(offer.sessionId, ['caller']);
  const { mix } = await route(offer.sessionId, 'caller', 500);
  await waitFor('caller and mixer hear each other', () => heard(caller, 500) && heard(mix, 700), 5000);
  expect(await portsOf(offer.sessionId, ['caller'])).toEqual(ports);

  await routes.restore(offer.sessionId, 'caller');
  await sleep(300);
  mix.clearReceived();
  caller.clearReceived();
  await sleep(400);
  expect(mix.packetsReceived).toBe(0);
  expect(caller.recentToneRatio(500, 300)).toBeLessThan(0.1);
  expect(await portsOf(offer.sessionId, ['caller'])).toEqual(ports);
});

it('keeps DTMF detection and injection of a party across route and restore', async () => {
  const dtmf = new DtmfDetection({
    relay: f.relay,
    source: new DtmfLogListener({ host: '127.0.0.1', port: f.dtmfLogPort, log: f.log }),
    events: f.events,
    state: f.state.inbandDtmf,
    log: f.log,
  });
  await dtmf.listen();
  try {
    const { routes, sending, bridged, route } = setUp({ renewDtmf: (s, t) => dtmf.renew(s, t) });
    const { sessionId, a, b } = await bridged();
    const digits = () =>
      f.emitted.flatMap((e) =>
        e.sessionId === sessionId && e.fact?.$case === 'dtmfReceived' ? [e.fact.dtmfReceived.digit] : [],
      );
    // Inject DTMF on (the pair re-negotiated with it) and in-band detection of a, before any route.
    expect(await sending.sendRelayed(sessionId, 'B', ['1'], 80)).toBe(true);
    await waitFor('1 at b', () => b.receivedDigits() === '1', 5000);
    await dtmf.start(sessionId, 'A', true);
    const pressFiveAtA = async () => {
      a.startTone([770, 1336], 12_000);
      await sleep(300);
      a.startTone(700);
    };

    await route(sessionId, 'A', 500);
    await route(sessionId, 'B', 900);
    await waitFor('a hears its mixer', () => heard(a, 500), 5000);
    await pressFiveAtA();
    await waitFor('in-band 5 from a while routed', () => digits().includes('5'), 5000);
    await a.sendDigit('4');
    await waitFor('RFC 4733 4 from a while routed', () => digits().includes('4'), 5000);

    await routes.restore(sessionId, 'A');
    await waitFor('a hears b', () => heard(a, 1300), 5000);
    await pressFiveAtA();
    await waitFor(
      'in-band 5 from a after restore',
      () => digits().filter((d) => d === '5').length >= 2,
      5000,
    );
    // Inject DTMF stayed on: the digit is played without another re-negotiation.
    expect(sending.injecting(sessionId, 'A')).toBe(true);
    expect(await sending.sendRelayed(sessionId, 'B', ['2'], 80)).toBe(true);
    // (b may also hear a's in-band 5 as an event: rtpengine's detector turns it into one towards b.)
    await waitFor('2 at b after restore', () => b.receivedDigits().endsWith('2'), 5000);
  } finally {
    await dtmf.close();
  }
});

describe('a mixer that dies', () => {
  let fake: ManagedProcess | undefined;
  afterEach(async () => {
    await fake?.kill();
  });

  it('restores its routes and publishes MixerLost within 2 s of the kill', async () => {
    fake = startProcess('node', [join(__dirname, '../../../test/support/health-server.mjs')]);
    let port = 0;
    await waitFor('the fake mixer', () => (port = Number(fake!.output().trim())) > 0, 10_000);
    const address = `127.0.0.1:${port}`;
    const { bridged, route, lost } = setUp({ watchMixer: mixerHealthWatch(credentials.createInsecure()) });
    const { sessionId, a, b } = await bridged();
    const received: facts.MediaFact[] = [];
    const subscription = f.nats.subscribe(mediaFactSubject(sessionId), {
      callback: (_error, message) => {
        received.push(facts.MediaFact.decode(message.data));
      },
    });
    await route(sessionId, 'A', 500, address);
    await route(sessionId, 'B', 900, address);
    await waitFor('routed', () => heard(a, 500) && heard(b, 900), 5000);
    await sleep(300);
    expect(lost).toEqual([]);

    const killedAt = Date.now();
    await fake.kill();
    await waitFor('direct path', () => heard(a, 1300) && heard(b, 700), 2000);
    await waitFor('two MixerLost facts', () => received.length >= 2, 2000 - (Date.now() - killedAt));
    measured.restoredAfterKill = Math.max(...lost.map((l) => l.at)) - killedAt;
    subscription.unsubscribe();
    expect(received.map((fact) => fact.fact)).toEqual(
      expect.arrayContaining([
        { $case: 'mixerLost', mixerLost: { sessionId, tag: 'A', routeId: 'in-A' } },
        { $case: 'mixerLost', mixerLost: { sessionId, tag: 'B', routeId: 'in-B' } },
      ]),
    );
    expect(received.every((fact) => fact.callId === sessionId)).toBe(true);
  });

  it('is watched again by the next run, which restores the routes it finds', async () => {
    fake = startProcess('node', [join(__dirname, '../../../test/support/health-server.mjs')]);
    let port = 0;
    await waitFor('the fake mixer', () => (port = Number(fake!.output().trim())) > 0, 10_000);
    const address = `127.0.0.1:${port}`;
    const first = setUp();
    const { sessionId, a, b } = await first.bridged();
    await first.route(sessionId, 'A', 500, address);
    await first.route(sessionId, 'B', 900, address);
    await waitFor('routed', () => heard(a, 500) && heard(b, 900), 5000);

    // The next run knows none of the session's negotiations: its records are enough.
    const next = setUp({
      watchMixer: mixerHealthWatch(credentials.createInsecure()),
      state: (await f.reopenState()).mixerRoutes,
    });
    const nextRoutes = next.routes;
    const recovered = await nextRoutes.recover(async (id) => (id === sessionId ? 'present' : 'gone'));
    expect(recovered.kept).toBe(2);
    await fake.kill();
    await waitFor('direct path', () => heard(a, 1300) && heard(b, 700), 2000);
    nextRoutes.close();
  });
});
