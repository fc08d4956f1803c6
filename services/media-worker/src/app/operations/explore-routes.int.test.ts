// Exploration (step 1): re-association of a bridged party with a mixer to-tag in rtpengine 10.5.
import { randomUUID } from 'node:crypto';
import { RtpEndpoint, waitFor } from '@callctl/testing';
import { startOperationFixture, type OperationFixture } from '../../../test/support/operation-fixture.js';
import { Forks } from './forks.js';

jest.setTimeout(120_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const portOf = (sdp: string) => Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);

/** The longest silence in `arrivals` between `from` and `to`. */
function maxGap(arrivals: readonly { at: number }[], from: number, to: number): number {
  const at = arrivals.map((a) => a.at).filter((t) => t >= from && t <= to);
  let gap = 0;
  for (let i = 1; i < at.length; i++) gap = Math.max(gap, at[i]! - at[i - 1]!);
  return gap;
}

let f: OperationFixture;
const FLAGS = (process.env.ROUTE_FLAGS ?? 'port latching').split(',').filter(Boolean);
async function ngOffer(sessionId: string, fromTag: string, toTag: string, sdp: string): Promise<string> {
  const r = await f.ng.command('offer', { 'call-id': sessionId, 'from-tag': fromTag, 'to-tag': toTag, sdp, flags: FLAGS });
  return r.sdp as string;
}
async function ngAnswer(sessionId: string, fromTag: string, toTag: string, sdp: string): Promise<string> {
  const r = await f.ng.command('answer', { 'call-id': sessionId, 'from-tag': fromTag, 'to-tag': toTag, sdp, flags: FLAGS });
  return r.sdp as string;
}
beforeAll(async () => {
  f = await startOperationFixture();
});
afterAll(async () => {
  await f?.close();
});

it('explores route and restore of a bridged session', async () => {
  const sessionId = `explore-${randomUUID()}`;
  const a = await RtpEndpoint.open();
  const b = await RtpEndpoint.open();
  const mixA = await RtpEndpoint.open();
  const mixB = await RtpEndpoint.open();
  const recA = await RtpEndpoint.open();
  const recB = await RtpEndpoint.open();
  const log = (...x: unknown[]) => process.stdout.write(x.map(String).join(' ') + '\n');
  try {
    const aSdp = a.sdp();
    const bSdp = b.sdp();
    const toB = await f.relay.offer({ sessionId, fromTag: 'A', sdp: aSdp });
    b.useRemote(toB);
    const toA = await ngAnswer(sessionId, 'A', 'B', bSdp);
    a.useRemote(toA);
    a.startTone(700);
    b.startTone(1300);
    await waitFor('direct', () => a.recentToneRatio(1300) > 0.8 && b.recentToneRatio(700) > 0.8, 5000);
    await new Forks({ relay: f.relay, log: f.log }).start({
      sessionId,
      forkId: 'rec',
      fromTags: ['A', 'B'],
      sinkAddress: '127.0.0.1',
      sinkPorts: [recA.port, recB.port],
      wideband: false,
    });
    await waitFor('forks', () => recA.recentToneRatio(700) > 0.8 && recB.recentToneRatio(1300) > 0.8, 5000);
    log('ports A-facing', portOf(toA), 'B-facing', portOf(toB));

    // Route A.
    a.clearReceived(); b.clearReceived(); recA.clearReceived(); recB.clearReceived();
    const t0 = Date.now();
    const toMixA = await ngOffer(sessionId, 'A', 'mix-A', aSdp);
    mixA.useRemote(toMixA);
    mixA.startTone(500);
    const toA2 = await ngAnswer(sessionId, 'A', 'mix-A', mixA.sdp());
    const t1 = Date.now();
    log('route A took', t1 - t0, 'ms; A-facing port now', portOf(toA2), 'mix-A port', portOf(toMixA));
    await waitFor('A hears the mixer', () => a.recentToneRatio(500) > 0.8, 5000).catch((e) => log(e));
    await waitFor('mixer hears A', () => mixA.recentToneRatio(700) > 0.8, 5000).catch((e) => log(e));
    await sleep(500);
    log('A gap across route', maxGap(a.arrivals, t0 - 200, t1 + 400), 'fork gaps', maxGap(recA.arrivals, t0 - 200, t1 + 400), maxGap(recB.arrivals, t0 - 200, t1 + 400));
    log('B: pkts/last 400ms ratio 700', b.recentToneRatio(700), 'last arrival ago', Date.now() - (b.arrivals.at(-1)?.at ?? 0));
    log('A pkts', a.packetsReceived, 'B pkts', b.packetsReceived, 'recA pkts', recA.packetsReceived, 'recB pkts', recB.packetsReceived);
    log('forks after route A: recA 700', recA.recentToneRatio(700), 'recB 1300', recB.recentToneRatio(1300));

    // Route B.
    a.clearReceived(); b.clearReceived(); recA.clearReceived(); recB.clearReceived();
    const t2 = Date.now();
    const toMixB = await ngOffer(sessionId, 'B', 'mix-B', bSdp);
    mixB.useRemote(toMixB);
    mixB.startTone(900);
    const toB2 = await ngAnswer(sessionId, 'B', 'mix-B', mixB.sdp());
    const t3 = Date.now();
    log('route B took', t3 - t2, 'ms; B-facing port now', portOf(toB2), 'mix-B port', portOf(toMixB));
    await waitFor('B hears the mixer', () => b.recentToneRatio(900) > 0.8, 5000).catch((e) => log(e));
    await waitFor('mixer hears B', () => mixB.recentToneRatio(1300) > 0.8, 5000).catch((e) => log(e));
    await sleep(500);
    log('B gap across route', maxGap(b.arrivals, t2 - 200, t3 + 400), 'A gap', maxGap(a.arrivals, t2 - 200, t3 + 400), 'fork gaps', maxGap(recA.arrivals, t2 - 200, t3 + 400), maxGap(recB.arrivals, t2 - 200, t3 + 400));
    log('A still hears mixA 500:', a.recentToneRatio(500), 'mixA hears 700', mixA.recentToneRatio(700));
    log('A pkts', a.packetsReceived, 'B pkts', b.packetsReceived, 'recA pkts', recA.packetsReceived, 'recB pkts', recB.packetsReceived);
    log('forks after route B: recA 700', recA.recentToneRatio(700), 'recB 1300', recB.recentToneRatio(1300));
    log('query', JSON.stringify(await f.relay.querySession(sessionId)).slice(0, 0));

    // Restore.
    mixA.clearReceived();
    mixB.clearReceived();
    a.clearReceived(); b.clearReceived(); recA.clearReceived(); recB.clearReceived();
    const t4 = Date.now();
    const toB3 = await ngOffer(sessionId, 'A', 'B', aSdp);
    const toA3 = await ngAnswer(sessionId, 'A', 'B', bSdp);
    const t5 = Date.now();
    if (process.env.DEL) {
      for (const tag of ['mix-A', 'mix-B']) {
        const params: Record<string, unknown> = { 'call-id': sessionId, 'from-tag': tag, 'delete-delay': 0 };
        if (process.env.DEL === 'to') params['to-tag'] = tag === 'mix-A' ? 'A' : 'B';
        log('delete', tag, JSON.stringify(await f.ng.command('delete', params).catch((e: Error) => e.message)).slice(0, 200));
      }
    }
    const q = await f.relay.querySession(sessionId);
    log('tags after restore', JSON.stringify(Object.fromEntries(Object.entries(q.tags as Record<string, { subscriptions: unknown; subscribers: unknown }>).map(([k, v]) => [k, [v.subscriptions, v.subscribers]]))));
    log('restore took', t5 - t4, 'ms; ports', portOf(toA3), portOf(toB3));
    await waitFor('A hears B', () => a.recentToneRatio(1300) > 0.8, 5000).catch((e) => log(e));
    await waitFor('B hears A', () => b.recentToneRatio(700) > 0.8, 5000).catch((e) => log(e));
    await sleep(500);
    log('gaps across restore A', maxGap(a.arrivals, t4 - 200, t5 + 400), 'B', maxGap(b.arrivals, t4 - 200, t5 + 400), 'forks', maxGap(recA.arrivals, t4 - 200, t5 + 400), maxGap(recB.arrivals, t4 - 200, t5 + 400));
    const mixAAfter = mixA.packetsReceived;
    await sleep(400);
    log('mixA still receiving after restore?', mixA.packetsReceived - mixAAfter, 'mixB', mixB.packetsReceived);
    log('A pkts', a.packetsReceived, 'B pkts', b.packetsReceived, 'recA pkts', recA.packetsReceived, 'recB pkts', recB.packetsReceived);
    log('forks after restore: recA 700', recA.recentToneRatio(700), 'recB 1300', recB.recentToneRatio(1300));
    log('query', JSON.stringify(await f.relay.querySession(sessionId)).slice(0, 0));
  } finally {
    await Promise.all([a, b, mixA, mixB, recA, recB].map((e) => e.close()));
    await f.relay.deleteSession(sessionId).catch(() => undefined);
  }
});
