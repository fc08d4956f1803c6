// RouteToMixer / RestoreRoute through the worker's gRPC API, a mixer that dies, and MixerLost on NATS.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { mediaFactSubject } from '@callctl/bus';
import { facts, type media } from '@callctl/proto';
import { startProcess, waitFor, type ManagedProcess, type RtpEndpoint } from '@callctl/testing';
import { call, startWorkerUnderTest, type WorkerUnderTest } from './support/worker-under-test.js';

jest.setTimeout(60_000);

const heard = (e: RtpEndpoint, hz: number) => e.recentToneRatio(hz, 300) > 0.8;
const portOf = (sdp: string) => Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let w: WorkerUnderTest;
let fake: ManagedProcess | undefined;
beforeAll(async () => {
  w = await startWorkerUnderTest();
});
afterAll(async () => {
  await fake?.kill();
  await w?.close();
});

/** A stand-in mixer's gRPC server (health only), in a process the test can kill. */
async function fakeMixer(): Promise<string> {
  fake = startProcess('node', [join(__dirname, 'support', 'health-server.mjs')]);
  let port = 0;
  await waitFor('the fake mixer', () => (port = Number(fake!.output().trim())) > 0, 10_000);
  return `127.0.0.1:${port}`;
}

it('routes both parties to the mixer and back over gRPC; a killed mixer gives them back and says so', async () => {
  const { client } = w;
  const sessionId = randomUUID();
  const callId = `call-${sessionId}`;
  const pair = await w.relayed({ sessionId, callId, offerer: 'A', answerer: 'B' });
  const { a, b } = pair;
  a.startTone(700);
  b.startTone(1300);
  await waitFor('a and b hear each other', () => heard(a, 1300) && heard(b, 700), 5000);

  const mixerAddress = await fakeMixer();
  const route = async (tag: string, hz: number) => {
    const mix = await w.endpoint();
    const request = { sessionId, tag, mixerSdp: mix.sdp(), mixerAddress, callId, routeId: `in-${tag}` };
    const reply = await call<media.RouteToMixerRequest, media.RouteToMixerResponse>(
      (r, cb) => client.routeToMixer(r, cb),
      request,
    );
    mix.useRemote(reply.sdp);
    mix.startTone(hz);
    return { mix, request, sdp: reply.sdp };
  };
  const restore = (tag: string) =>
    call<media.RestoreRouteRequest, media.RestoreRouteResponse>((r, cb) => client.restoreRoute(r, cb), {
      sessionId,
      tag,
      callId,
    });

  // Unknown party: NOT_FOUND.
  await expect(
    call((r: media.RouteToMixerRequest, cb) => client.routeToMixer(r, cb), {
      sessionId,
      tag: 'C',
      mixerSdp: a.sdp(),
      mixerAddress,
      callId,
      routeId: 'in-C',
    }),
  ).rejects.toMatchObject({ code: status.NOT_FOUND });

  const routedA = await route('A', 500);
  await route('B', 900);
  await waitFor('a and b hear their mixer parties', () => heard(a, 500) && heard(b, 900), 5000);
  // Same route again: same SDP.
  expect(
    (
      await call<media.RouteToMixerRequest, media.RouteToMixerResponse>(
        (r, cb) => client.routeToMixer(r, cb),
        routedA.request,
      )
    ).sdp,
  ).toBe(routedA.sdp);
  await restore('A');
  await restore('B');
  await waitFor('a and b hear each other again', () => heard(a, 1300) && heard(b, 700), 5000);

  // Routed again; a re-INVITE of the pair (Offer and Answer with the same SDPs, as sip-edge relays it) keeps
  // the routes and the ports.
  const mixA = (await route('A', 500)).mix;
  const mixB = (await route('B', 900)).mix;
  await waitFor('routed again', () => heard(a, 500) && heard(b, 900), 5000);
  const reOffered = await call<media.OfferRequest, media.OfferResponse>((r, cb) => client.offer(r, cb), {
    sessionId,
    fromTag: 'A',
    sdp: a.sdp(),
    codecs: undefined,
    detectDtmf: false,
    callId,
  });
  expect(portOf(reOffered.sdp)).toBe(portOf(pair.offered));
  const reAnswered = await call<media.AnswerRequest, media.AnswerResponse>((r, cb) => client.answer(r, cb), {
    sessionId,
    fromTag: 'A',
    toTag: 'B',
    sdp: b.sdp(),
    callId,
  });
  expect(portOf(reAnswered.sdp)).toBe(portOf(pair.answered));
  await sleep(300);
  for (const e of [a, b, mixA, mixB]) e.clearReceived();
  await sleep(400);
  expect([heard(a, 500), heard(b, 900), heard(mixA, 700), heard(mixB, 1300)]).toEqual([
    true,
    true,
    true,
    true,
  ]);
  const received: facts.MediaFact[] = [];
  const subscription = w.nats.subscribe(mediaFactSubject(callId), {
    callback: (_error, message) => {
      received.push(facts.MediaFact.decode(message.data));
    },
  });
  await fake!.kill();
  const killedAt = Date.now();
  await waitFor('two MixerLost facts', () => received.length >= 2, 2000);
  const factsAfterMs = Date.now() - killedAt;
  subscription.unsubscribe();
  await waitFor('the direct path', () => heard(a, 1300) && heard(b, 700), 2000);
  expect(factsAfterMs).toBeLessThan(2000);
  expect(received.map((f) => f.fact?.$case === 'mixerLost' && f.fact.mixerLost.tag).sort()).toEqual([
    'A',
    'B',
  ]);
  expect(received.every((f) => f.callId === callId && f.sessionId === sessionId)).toBe(true);
});
