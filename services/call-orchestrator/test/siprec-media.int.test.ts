// SIPREC's audio through the real media-worker and rtpengine: a caller (700 Hz) and a callee (1300 Hz) in one
// rtpengine session, the SRS played by the recording sip-edge answering with two RtpEndpoints the test
// owns (recvonly, one per m-line). Label 1 carries the caller's tone and label 2 the callee's; a pause
// silences the SRS while the parties still hear each other (no BlockMedia); a resume brings the audio back
// on the new fork; a stop ends it.
import { randomUUID } from 'node:crypto';
import { credentials } from '@grpc/grpc-js';
import { media } from '@callctl/proto';
import { recorderAnswerSdp, RtpEndpoint, waitFor } from '@callctl/testing';
import { startMediaWorkerFixture, type MediaWorkerFixture } from './support/media-worker-fixture.js';
import { startHarness, type Harness } from './support/orchestrator-harness.js';

jest.setTimeout(90_000);

const SRS = 'sip:srs@127.0.0.1:5090';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The SRS's first stream (label 1) has the caller's 700 Hz, its second the callee's 1300 Hz. */
const eachLabelCarriesItsParty = (srs: readonly RtpEndpoint[]) =>
  srs[0]!.packetsReceived > 25 &&
  srs[1]!.packetsReceived > 25 &&
  srs[0]!.recentToneRatio(700) > 0.8 &&
  srs[1]!.recentToneRatio(1300) > 0.8;

let fx: MediaWorkerFixture;
let h: Harness;
let worker: media.MediaWorkerClient;
const endpoints: RtpEndpoint[] = [];
beforeAll(async () => {
  fx = await startMediaWorkerFixture('siprec-media-');
  worker = new media.MediaWorkerClient(fx.address, credentials.createInsecure());
  h = await startHarness({ nats: fx.nats, mediaWorker: { address: fx.address, mediaFilesDir: fx.dir } });
});
afterAll(async () => {
  for (const e of endpoints) await e.close();
  worker?.close();
  await h?.stop();
  await fx?.stop();
});

const open = async () => {
  const e = await RtpEndpoint.open();
  endpoints.push(e);
  return e;
};
const unary = <Req, Res>(method: (r: Req, cb: (e: Error | null, r: Res) => void) => void, request: Req) =>
  new Promise<Res>((resolve, reject) =>
    method.call(worker, request, (e: Error | null, r: Res) => (e ? reject(e) : resolve(r))),
  );

it('forks each party to its label, pauses without touching the call, resumes and stops', async () => {
  // The call: caller A (inbound) and callee B, their media in one rtpengine session as sip-edge makes it
  // (session = call id, tags = leg ids).
  const { callId, legId: a } = await h.answeredInboundCall();
  const { legId: b } = await h.client.dial({ callId, bridgeWithLegId: a, idempotencyKey: randomUUID() });
  await h.until(callId, 'LegInitiated', 2);
  const caller = await open();
  const callee = await open();
  const offered = await unary<media.OfferRequest, media.OfferResponse>(
    worker.offer,
    media.OfferRequest.fromPartial({ sessionId: callId, fromTag: a, sdp: caller.sdp() }),
  );
  callee.useRemote(offered.sdp);
  const answered = await unary<media.AnswerRequest, media.AnswerResponse>(
    worker.answer,
    media.AnswerRequest.fromPartial({ sessionId: callId, fromTag: a, toTag: b, sdp: callee.sdp(), callId }),
  );
  caller.useRemote(answered.sdp);
  await h.sipEdge.answered(callId, b);
  await h.until(callId, 'LegsBridged');
  caller.startTone(700);
  callee.startTone(1300);

  const srs = [await open(), await open()];
  h.sipEdge.srs.set(SRS, {
    answerSdp: (offer) =>
      recorderAnswerSdp(
        offer,
        srs.map((e) => e.port),
      ),
  });
  const { siprecId } = await h.client.api.startSiprec({
    callId,
    srsUris: [SRS],
    headers: {},
    idempotencyKey: '',
    clientState: '',
  });
  await h.until(callId, 'SiprecStarted');
  await waitFor(
    'label 1 carries the caller, label 2 the callee',
    () => eachLabelCarriesItsParty(srs),
    10_000,
  );
  expect(srs[0]!.recentToneRatio(1300)).toBeLessThan(0.1);
  expect(srs[1]!.recentToneRatio(700)).toBeLessThan(0.1);

  // Pause: the SRS gets nothing, the parties still hear each other.
  await h.client.api.pauseSiprec({ callId, siprecId });
  await sleep(300);
  const paused = srs.map((e) => e.packetsReceived);
  caller.clearReceived();
  callee.clearReceived();
  await sleep(1000);
  expect(srs.map((e) => e.packetsReceived)).toEqual(paused);
  expect(caller.packetsReceived).toBeGreaterThan(25);
  expect(callee.packetsReceived).toBeGreaterThan(25);
  expect(caller.recentToneRatio(1300)).toBeGreaterThan(0.8);
  expect(callee.recentToneRatio(700)).toBeGreaterThan(0.8);

  // Resume: a new fork, the same labels.
  await h.client.api.resumeSiprec({ callId, siprecId });
  for (const e of srs) e.clearReceived();
  await waitFor('the audio back at the SRS after the resume', () => eachLabelCarriesItsParty(srs), 10_000);

  // Stop: nothing more reaches the SRS; the call goes on.
  await h.client.api.stopSiprec({ callId, siprecId });
  await sleep(300);
  const stopped = srs.map((e) => e.packetsReceived);
  await sleep(800);
  expect(srs.map((e) => e.packetsReceived)).toEqual(stopped);
  callee.clearReceived();
  await waitFor('the callee still hears the caller', () => callee.recentToneRatio(700) > 0.8, 5000);
});
