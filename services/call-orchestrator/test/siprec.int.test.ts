// SIPREC as the orchestrator drives it: the public requests validated, the driver's steps against the
// recording sip-edge (which plays each SRS: a 2xx with its SDP, a refusal, a timeout, a BYE) and a stand-in of
// the media-worker's recording fork methods (their real gRPC contract; the fork itself on rtpengine is the
// media-worker's own int test), in the order asked; the events recorded; and what a restart in the middle
// of an INVITE leaves. The full path to a real SRS is the e2e test's.
import { callStreamId } from '@callctl/eventstore';
import { createLogger } from '@callctl/logging';
import { callEvents, sipEdge as sipEdgeProto } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import type { RunningCallOrchestrator } from '../src/call-orchestrator.js';
import { refused } from './support/call-control-client.js';
import { MonitorMediaStandIns } from './support/monitor-media-stand-ins.js';
import { decoded, startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';

jest.setTimeout(60_000);

const { SiprecStopReason: Stop } = callEvents;
const { MediaDirection } = sipEdgeProto;
const log = createLogger({ service: 'siprec-test', level: 'silent' });
const SRS1 = 'sip:srs1@127.0.0.1:5090';
const SRS2 = 'sip:srs2@127.0.0.1:5091';

let standIns: MonitorMediaStandIns;
let h: Harness;
let next: RunningCallOrchestrator | undefined;
beforeAll(async () => {
  standIns = await MonitorMediaStandIns.start(log);
  h = await startHarness({
    mediaWorker: { address: standIns.mediaWorkerAddress, mediaFilesDir: '/nonexistent' },
  });
});
afterAll(async () => {
  await next?.close();
  await h?.stop();
  await standIns?.stop();
});
beforeEach(() => h.sipEdge.srs.clear());

const until = (callId: string, type: string, count = 1) => h.until(callId, type, count);
/** The media-worker stand-in's requests about this siprec's fork (and any BlockMedia), from `from` on. */
const forkRequests = (siprecId: string, from = 0) =>
  standIns.requests.slice(from).filter((r) => r.includes(`siprec-${siprecId}`) || r.startsWith('BlockMedia'));
const start = (callId: string, more: Record<string, unknown> = {}) =>
  h.client.api.startSiprec({
    callId,
    srsUris: [SRS1, SRS2],
    headers: { 'X-Tenant': 'acme' },
    idempotencyKey: '',
    clientState: '',
    ...more,
  });

/** A started SIPREC of a bridged call (the first SRS answered). */
async function recorded() {
  const call = await h.bridgedCall();
  const { siprecId } = await start(call.callId);
  await until(call.callId, 'SiprecStarted');
  return { ...call, siprecId };
}

describe('StartSiprec refuses', () => {
  it('bad SRS URIs and headers (INVALID_ARGUMENT), with nothing recorded', async () => {
    const { callId } = await h.answeredInboundCall();
    const bad: Array<Record<string, unknown>> = [
      { srsUris: [] },
      { srsUris: ['1', '2', '3', '4', '5', '6'].map((n) => `sip:s${n}@127.0.0.1`) },
      { srsUris: ['http://srs.example.com/'] },
      { headers: Object.fromEntries(['1', '2', '3', '4', '5', '6'].map((n) => [`X-H${n}`, n])) },
      { headers: { 'P-Asserted-Identity': 'sip:x@y' } },
      { headers: { 'X-A': 'v\r\nBYE sip:x SIP/2.0' } },
    ];
    for (const more of bad) expect((await refused(start(callId, more))).code).toBe('INVALID_ARGUMENT');
    expect(typesOf(await h.stream(callId))).not.toContain('SiprecRequested');
  });

  it('a call with no answered party, and a second SIPREC while one runs (FAILED_PRECONDITION)', async () => {
    const ringing = await h.inboundCall();
    expect((await refused(start(ringing.callId))).code).toBe('FAILED_PRECONDITION');
    const { callId, siprecId } = await recorded();
    const second = await refused(start(callId));
    expect(second.code).toBe('FAILED_PRECONDITION');
    expect(second.message).toContain(siprecId);
  });
});

describe('start and failover', () => {
  it('forks the parties, INVITEs the SRSs in order: 503 from the first, then the second answers', async () => {
    const { callId, a, b } = await h.bridgedCall();
    h.sipEdge.srs.set(SRS1, { sipStatus: 503 });
    h.sipEdge.srs.set(SRS2, { answerSdp: 'sdp-of-srs2' });
    const { siprecId } = await start(callId, { idempotencyKey: 'siprec-1' });
    expect(siprecId).toMatch(/^srec-[0-9a-f]{32}$/);
    expect(await start(callId, { idempotencyKey: 'siprec-1' })).toEqual({ siprecId }); // a retry
    const events = await until(callId, 'SiprecStarted');
    expect(typesOf(events).filter((t) => t.startsWith('Siprec'))).toEqual([
      'SiprecRequested',
      'SiprecAttemptFailed',
      'SiprecStarted',
    ]);
    expect(decoded(events, 'SiprecRequested', callEvents.SiprecRequested)[0]).toMatchObject({
      siprecId,
      srsUris: [SRS1, SRS2],
      headers: { 'X-Tenant': 'acme' },
      legIds: [a, b],
    });
    expect(decoded(events, 'SiprecAttemptFailed', callEvents.SiprecAttemptFailed)[0]).toMatchObject({
      srsUri: SRS1,
      sipStatus: 503,
    });
    expect(decoded(events, 'SiprecStarted', callEvents.SiprecStarted)[0]).toMatchObject({
      srsUri: SRS2,
      sipCallId: `${siprecId}-2@srs`,
    });
    // One offer of both parties (labels 1, 2 in leg order), given to each SRS; the answer of the second.
    expect(forkRequests(siprecId)).toEqual([
      `OfferRecordingFork siprec-${siprecId} ${callId} ${a},${b} labels 1,2`,
      `AnswerRecordingFork siprec-${siprecId} sdp-of-srs2`,
    ]);
    const invites = h.sent('startRecordingSession', callId);
    expect(invites.map((r) => [r.sessionId, r.srsUri, r.sdp, r.timeoutMs])).toEqual([
      [`${siprecId}-1`, SRS1, `offer-of-${a}+${b}`, 8000],
      [`${siprecId}-2`, SRS2, `offer-of-${a}+${b}`, 8000],
    ]);
    expect(invites[1]!.headers).toEqual({ 'X-Tenant': 'acme' });
    // The metadata: a participant and a stream per leg, labels matching the SDP's, the legs' Call-IDs.
    const metadata = invites[1]!.metadata as sipEdgeProto.SiprecMetadata;
    expect(metadata.streams.map((s) => s.label)).toEqual(['1', '2']);
    expect(metadata.participants.map((p) => p.aor)).toEqual(['sip:caller@127.0.0.1', expect.any(String)]);
    expect(metadata.participants.map((p) => p.sendStreamIds)).toEqual(
      metadata.streams.map((s) => [s.streamId]),
    );
    expect(metadata.participants[0]!.recvStreamIds).toEqual([metadata.streams[1]!.streamId]);
    expect(metadata.sipSessionIds).toEqual([`${a}@127.0.0.1`, `${b}@127.0.0.1`]);
    expect(metadata.extensionData).toEqual({ callId });
    expect(Buffer.from(metadata.sessionId, 'base64')).toHaveLength(16);
  });

  it('records SiprecFailed with the last status when no SRS answers, and stops the fork; the call goes on', async () => {
    const { callId } = await h.bridgedCall();
    h.sipEdge.srs.set(SRS1, { sipStatus: 503 });
    h.sipEdge.srs.set(SRS2, { sipStatus: 408 });
    const { siprecId } = await start(callId);
    const events = await until(callId, 'SiprecFailed');
    expect(typesOf(events).filter((t) => t.startsWith('Siprec'))).toEqual([
      'SiprecRequested',
      'SiprecAttemptFailed',
      'SiprecAttemptFailed',
      'SiprecFailed',
    ]);
    expect(
      decoded(events, 'SiprecAttemptFailed', callEvents.SiprecAttemptFailed).map((e) => e.sipStatus),
    ).toEqual([503, 408]);
    expect(decoded(events, 'SiprecFailed', callEvents.SiprecFailed)[0]).toMatchObject({
      siprecId,
      sipStatus: 408,
    });
    await waitFor('fork stopped', async () => forkRequests(siprecId).includes(`StopFork siprec-${siprecId}`));
    expect(h.sent('hangupLeg', callId)).toEqual([]);
    expect(typesOf(await h.stream(callId))).not.toContain('LegEnded');
    // A new one may start now.
    h.sipEdge.srs.clear();
    await expect(start(callId)).resolves.toEqual({ siprecId: expect.stringMatching(/^srec-/) });
  });
});

describe('a started SIPREC', () => {
  it('pauses by stopping the fork and re-INVITEing a=inactive, resumes with a new fork a=sendonly: never BlockMedia', async () => {
    const { callId, a, b, siprecId } = await recorded();
    const from = standIns.requests.length;
    await h.client.api.pauseSiprec({ callId, siprecId });
    await h.client.api.pauseSiprec({ callId, siprecId }); // paused already: OK
    await h.client.api.resumeSiprec({ callId, siprecId });
    expect(forkRequests(siprecId, from)).toEqual([
      `StopFork siprec-${siprecId}`,
      `OfferRecordingFork siprec-${siprecId} ${callId} ${a},${b} labels 1,2`,
      `AnswerRecordingFork siprec-${siprecId} srs-answer-to-offer-of-${a}+${b}`,
    ]);
    const updates = h.sipEdge
      .received('updateRecordingSession')
      .filter((r) => r.sessionId === `${siprecId}-1`);
    expect(updates.map((r) => [r.direction, r.sdp])).toEqual([
      [MediaDirection.MEDIA_DIRECTION_INACTIVE, ''],
      [MediaDirection.MEDIA_DIRECTION_SENDONLY, `offer-of-${a}+${b}`],
    ]);
    expect(typesOf(await h.stream(callId)).filter((t) => t.startsWith('Siprec'))).toEqual([
      'SiprecRequested',
      'SiprecStarted',
      'SiprecPaused',
      'SiprecResumed',
    ]);
    expect(standIns.requests.some((r) => r.startsWith('BlockMedia'))).toBe(false);
  });

  it("ends with the SRS's BYE (SRS_ENDED): the fork stops, no BYE back, the call untouched", async () => {
    const { callId, siprecId } = await recorded();
    await h.sipEdge.recordingSessionEnded(callId, `${siprecId}-1`);
    const events = await until(callId, 'SiprecStopped');
    expect(decoded(events, 'SiprecStopped', callEvents.SiprecStopped)[0]).toMatchObject({
      siprecId,
      reason: Stop.SIPREC_STOP_REASON_SRS_ENDED,
      sipStatus: 0,
    });
    await waitFor('fork stopped', async () => forkRequests(siprecId).includes(`StopFork siprec-${siprecId}`));
    expect(h.sipEdge.received('endRecordingSession').filter((r) => r.sessionId === `${siprecId}-1`)).toEqual(
      [],
    );
    expect(h.sent('hangupLeg', callId)).toEqual([]);
    expect(typesOf(await h.stream(callId))).not.toContain('LegEnded');
  });

  it('ends with StopSiprec (REQUESTED): BYE to the SRS and the fork stopped; again is OK', async () => {
    const { callId, siprecId } = await recorded();
    await h.client.api.stopSiprec({ callId, siprecId });
    await h.client.api.stopSiprec({ callId, siprecId });
    const events = await until(callId, 'SiprecStopped');
    expect(decoded(events, 'SiprecStopped', callEvents.SiprecStopped)).toEqual([
      expect.objectContaining({ reason: Stop.SIPREC_STOP_REASON_REQUESTED }),
    ]);
    await waitFor('session ended', async () =>
      h.sipEdge.received('endRecordingSession').some((r) => r.sessionId === `${siprecId}-1`),
    );
    await waitFor('fork stopped', async () => forkRequests(siprecId).includes(`StopFork siprec-${siprecId}`));
    expect((await refused(h.client.api.stopSiprec({ callId, siprecId: 'srec-nope' }))).code).toBe(
      'NOT_FOUND',
    );
  });

  it('ends with the call (CALL_ENDED): EndRecordingSession and StopFork', async () => {
    const { callId, siprecId } = await recorded();
    await h.client.api.hangup({ callId, legId: '' });
    const events = await until(callId, 'CallEnded');
    expect(decoded(events, 'SiprecStopped', callEvents.SiprecStopped)).toEqual([
      expect.objectContaining({ siprecId, reason: Stop.SIPREC_STOP_REASON_CALL_ENDED }),
    ]);
    await waitFor('session ended', async () =>
      h.sipEdge.received('endRecordingSession').some((r) => r.sessionId === `${siprecId}-1`),
    );
    await waitFor('fork stopped', async () => forkRequests(siprecId).includes(`StopFork siprec-${siprecId}`));
  });

  it('follows a party that joins: a new fork of both and the SRS re-INVITEd with their metadata (SiprecUpdated)', async () => {
    const { callId, legId: a } = await h.answeredInboundCall();
    const { siprecId } = await start(callId);
    await until(callId, 'SiprecStarted');
    const { legId: b } = await h.client.dial({ callId, bridgeWithLegId: a, idempotencyKey: 'dial-b' });
    await until(callId, 'LegInitiated', 2);
    await h.sipEdge.answered(callId, b);
    const events = await until(callId, 'SiprecUpdated');
    expect(decoded(events, 'SiprecUpdated', callEvents.SiprecUpdated).at(-1)).toMatchObject({
      legIds: [a, b],
    });
    await waitFor('updated at the SRS', async () =>
      h.sipEdge
        .received('updateRecordingSession')
        .some(
          (r) =>
            r.sessionId === `${siprecId}-1` &&
            (r.metadata as sipEdgeProto.SiprecMetadata).streams.length === 2,
        ),
    );
    const update = h.sipEdge
      .received('updateRecordingSession')
      .filter((r) => r.sessionId === `${siprecId}-1`)
      .at(-1)!;
    expect(update).toMatchObject({
      sdp: `offer-of-${a}+${b}`,
      direction: MediaDirection.MEDIA_DIRECTION_SENDONLY,
    });
    expect((update.metadata as sipEdgeProto.SiprecMetadata).streams.map((s) => s.label)).toEqual(['1', '2']);
  });
  it('follows a transfer: the transferee and the target are recorded from then on (SiprecUpdated)', async () => {
    const { callId, a, siprecId } = await recorded();
    const { targetLegId } = await h.client.api.transferLeg({
      callId,
      legId: a,
      target: 'sip:carol@127.0.0.1:5090',
      mode: callEvents.TransferMode.TRANSFER_MODE_BRIDGE,
      fromUri: '',
      timeoutMs: 0,
      releaseOnFailure: false,
      idempotencyKey: 'xfer-1',
    });
    await waitFor('target INVITE', async () =>
      h.sent('placeCall', callId).some((r) => r.legId === targetLegId),
    );
    await h.sipEdge.answered(callId, targetLegId);
    await until(callId, 'TransferCompleted');
    await waitFor('updated to the new parties', async () =>
      decoded(await h.stream(callId), 'SiprecUpdated', callEvents.SiprecUpdated).some(
        (e) => e.legIds.join() === [a, targetLegId].join(),
      ),
    );
    const update = h.sipEdge
      .received('updateRecordingSession')
      .filter((r) => r.sessionId === `${siprecId}-1`)
      .at(-1)!;
    expect(update.sdp).toBe(`offer-of-${a}+${targetLegId}`);
    expect((update.metadata as sipEdgeProto.SiprecMetadata).participants.map((p) => p.aor)).toEqual([
      'sip:caller@127.0.0.1',
      'sip:carol@127.0.0.1:5090',
    ]);
  });
});

it('fails a start interrupted by a restart, and ends what it may have set up', async () => {
  const { callId } = await h.bridgedCall();
  const release = h.sipEdge.holdNext('startRecordingSession');
  const { siprecId } = await start(callId);
  await waitFor('INVITE sent', async () => h.sent('startRecordingSession', callId).length === 1);
  await h.orchestrator.close();
  release();
  // Failed once nobody made progress for stalledAfterMs (another instance may be driving it).
  next = await h.startAnother({ siprec: { inviteTimeoutMs: 8000, stalledAfterMs: 500 } });
  // The closed process's store is gone with it: the new one's reads the log.
  const stream = () => next!.store.readStream(callStreamId(callId));
  await waitFor('SiprecFailed recorded', async () => typesOf(await stream()).includes('SiprecFailed'));
  const events = await stream();
  expect(decoded(events, 'SiprecFailed', callEvents.SiprecFailed)[0]).toMatchObject({
    siprecId,
    reason: 'interrupted by a restart',
  });
  expect(typesOf(events)).not.toContain('SiprecStarted');
  await waitFor('session ended', async () =>
    h.sipEdge.received('endRecordingSession').some((r) => r.sessionId === `${siprecId}-1`),
  );
  await waitFor('fork stopped', async () => forkRequests(siprecId).includes(`StopFork siprec-${siprecId}`));
});
