// The event log (a real PostgreSQL) goes away for the orchestrator while commands act on the wire: the
// orchestrator reaches it through a TCP proxy this test cuts, so PostgreSQL keeps serving the other tests.
// What must hold: no SIP action without its event in the log once PostgreSQL is back, no client told
// INTERNAL, and WatchEvents streams end with UNAVAILABLE instead of hanging.
import { status } from '@grpc/grpc-js';
import type { GrpcStatusError } from '@callctl/client';
import type { RecordedEvent } from '@callctl/eventstore';
import { waitFor } from '@callctl/testing';
import { refused } from './support/call-control-client.js';
import { startHarness, type Harness } from './support/orchestrator-harness.js';

jest.setTimeout(60_000);

let h: Harness;
beforeAll(async () => {
  // No health probe: it would find the log away first, and every command would be refused before acting
  // (dependency-health.int.test.ts tests that); here commands find the outage themselves.
  h = await startHarness({ databaseProxy: true, healthProbeIntervalMs: 3_600_000 });
});
afterAll(async () => {
  await h?.stop();
});
afterEach(() => h.databaseProxy!.restore());

const EVENT_LOG_UNAVAILABLE = /event log \(PostgreSQL\) unavailable/;

const legEnded = (events: readonly RecordedEvent[]) => events.filter((e) => e.type === 'LegEnded');
const hangupsOf = (callId: string) => h.sipEdge.received('hangupLeg').filter((r) => r.callId === callId);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('Hangup during a short outage hangs up once and answers OK once LegEnded is recorded', async () => {
  const call = await h.answeredInboundCall();
  h.databaseProxy!.cut();
  const hangup = h.client.hangup(call.callId);
  await waitFor('BYE requested', () => hangupsOf(call.callId).length === 1);
  await sleep(500); // the append fails meanwhile and is retried
  h.databaseProxy!.restore();
  await hangup;
  // sip-edge's LegEnded fact for the same BYE comes after, and records nothing more.
  await sleep(500);
  expect(legEnded(await h.stream(call.callId))).toHaveLength(1);
  expect(hangupsOf(call.callId)).toHaveLength(1);
});

it('Hangup during a long outage is UNAVAILABLE, says it was done, and is recorded once the log is back', async () => {
  const call = await h.answeredInboundCall();
  const other = await h.answeredInboundCall();
  h.databaseProxy!.cut();
  const error = await refused(h.client.api.hangup({ callId: call.callId, legId: '' }, { deadlineMs: 1500 }));
  expect(error.status).toBe(status.UNAVAILABLE);
  expect(error.details).toMatch(EVENT_LOG_UNAVAILABLE);
  expect(error.details).toMatch(/Hangup was done and will be recorded/);
  expect(hangupsOf(call.callId)).toHaveLength(1);
  // The call is busy recording: another command on it is refused at once, not left to its deadline.
  const again = await refused(h.client.hangup(call.callId));
  expect([again.status, again.details]).toEqual([status.UNAVAILABLE, 'event log (PostgreSQL) unavailable']);

  // The log is known to be away now: the next command is refused before it acts.
  const refusedFirst = await refused(h.client.hangup(other.callId));
  expect([refusedFirst.status, refusedFirst.details]).toEqual([
    status.UNAVAILABLE,
    'event log (PostgreSQL) unavailable',
  ]);
  expect(hangupsOf(other.callId)).toHaveLength(0);
  // Reads say so too, never INTERNAL.
  const read = await refused(h.client.getCall(`not-cached-${call.callId}`));
  expect([read.status, read.details]).toEqual([status.UNAVAILABLE, 'event log (PostgreSQL) unavailable']);
  const list = await refused(h.client.listCalls());
  expect([list.status, list.details]).toEqual([status.UNAVAILABLE, 'event log (PostgreSQL) unavailable']);

  h.databaseProxy!.restore();
  await waitFor('LegEnded recorded', async () => legEnded(await h.stream(call.callId)).length === 1, 10_000);
  // The retry is safe and answers the recorded result; the other call is hung up now, once.
  await h.client.hangup(call.callId);
  await h.client.hangup(other.callId);
  await sleep(500);
  expect(legEnded(await h.stream(call.callId))).toHaveLength(1);
  expect(hangupsOf(call.callId)).toHaveLength(1);
  expect(legEnded(await h.stream(other.callId))).toHaveLength(1);
  expect(hangupsOf(other.callId)).toHaveLength(1);
});

it('ends an open WatchEvents stream with UNAVAILABLE when the log goes away', async () => {
  await h.answeredInboundCall();
  const feed = h.client.watch(1);
  const iterator = feed[Symbol.asyncIterator]();
  await iterator.next(); // the stream is open and reading
  h.databaseProxy!.cut();
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    (async () => {
      for (;;) if ((await iterator.next()).done) return 'ended without a status';
    })().catch((error: GrpcStatusError) => error),
    new Promise((resolve) => (timer = setTimeout(() => resolve('still open after 10 s'), 10_000))),
  ]);
  clearTimeout(timer);
  expect(ended).toMatchObject({ status: status.UNAVAILABLE, details: 'event log (PostgreSQL) unavailable' });
  feed.close();
});
