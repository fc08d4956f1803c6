// Recording through the public API, with the orchestrator in front of a stand-in of the recording service
// that speaks its real gRPC contract (support/recording-service-stand-in.ts): the recorder is started with
// where each leg's media is, refusals come back as the recorder's status with nothing recorded, the end of
// the call and a segment's terminator key stop the recorder after they are recorded, the recording
// service's facts are recorded after the call ended (once, however often they come) and published on NATS,
// and the public Recordings is forwarded on the orchestrator's port.
import { status } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { CALL_EVENTS_STREAM, callEventsOfCall } from '@callctl/bus';
import {
  createRecordingsClient,
  NO_RETRIES,
  type GrpcStatusError,
  type RecordingsClient,
} from '@callctl/client';
import { createLogger } from '@callctl/logging';
import { callEvents, recordings } from '@callctl/proto';
import { waitFor } from '@callctl/testing';
import { startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';
import { RecordingServiceStandIn } from './support/recording-service-stand-in.js';

jest.setTimeout(60_000);

const { RecordingStopReason: Stop, RecordingKind, RecordingChannels } = callEvents;
const log = createLogger({ service: 'recording-stand-in', level: 'silent' });

let h: Harness;
let service: RecordingServiceStandIn;
let publicRecordings: RecordingsClient;

beforeAll(async () => {
  service = await RecordingServiceStandIn.start(log);
  h = await startHarness({ orchestrator: { recording: { address: service.address, timeoutMs: 3000 } } });
  publicRecordings = createRecordingsClient({
    address: `127.0.0.1:${h.orchestrator.grpc.port}`,
    retry: NO_RETRIES,
  });
});
afterAll(async () => {
  publicRecordings?.close();
  await h?.stop();
  await service?.stop();
});

const statusOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'OK',
    (error: GrpcStatusError) => status[error.status],
  );

const startRecording = (callId: string, idempotencyKey: string, beep = false) =>
  h.client.api.startRecording({ callId, idempotencyKey, beep });

/** The call's events of a type, as stored (proto3 JSON: enums by name, defaults left out). */
const eventOf = async (callId: string, type: string) =>
  (await h.stream(callId)).filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

describe('StartRecording', () => {
  it("starts the recorder on the answered leg's media, records RecordingStarted, and answers a retry with the same id", async () => {
    const { callId, legId } = await h.answeredInboundCall();
    const { recordingId } = await startRecording(callId, 'rec-1');
    expect(recordingId).toMatch(/^rec-[0-9a-f]{32}$/);
    expect(service.received('startRecorder').filter((r) => r.callId === callId)).toEqual([
      {
        recordingId,
        callId,
        kind: RecordingKind.RECORDING_KIND_CALL,
        parties: [{ legId, media: { sessionId: callId, tag: legId } }],
        channels: RecordingChannels.RECORDING_CHANNELS_DUAL,
        pauseMode: callEvents.PauseMode.PAUSE_MODE_SILENCE,
        maxDurationMs: 0,
        silenceTimeoutMs: 0,
        startDelayMs: 0,
      },
    ]);
    expect(await eventOf(callId, 'RecordingStarted')).toEqual([
      expect.objectContaining({ recordingId, legIds: [legId], idempotencyKey: 'rec-1' }),
    ]);
    await expect(startRecording(callId, 'rec-1')).resolves.toEqual({ recordingId });
    expect(service.received('startRecorder').filter((r) => r.callId === callId)).toHaveLength(1);
    // Another request while it runs is refused, naming it.
    await expect(startRecording(callId, 'rec-2')).rejects.toMatchObject({
      status: status.ALREADY_EXISTS,
      details: expect.stringContaining(recordingId),
    });
  });

  it("passes the recorder's refusal on and records nothing", async () => {
    const { callId } = await h.answeredInboundCall();
    const before = (await h.stream(callId)).length;
    service.refuseNext('startRecorder', status.FAILED_PRECONDITION, 'media session is gone');
    expect(await statusOf(startRecording(callId, 'refused'))).toBe('FAILED_PRECONDITION');
    service.refuseNext('startRecorder', status.UNAVAILABLE, 'media-worker unavailable');
    expect(await statusOf(startRecording(callId, 'down'))).toBe('UNAVAILABLE');
    expect(await h.stream(callId)).toHaveLength(before);
  });

  it('refuses a call with no answered leg (FAILED_PRECONDITION) without asking the recorder', async () => {
    const { callId } = await h.inboundCall();
    const asked = service.requests.length;
    expect(await statusOf(startRecording(callId, 'early'))).toBe('FAILED_PRECONDITION');
    expect(service.requests).toHaveLength(asked);
  });

  it('pauses, resumes and stops through the recorder; stopping again is OK', async () => {
    const { callId } = await h.answeredInboundCall();
    const { recordingId } = await startRecording(callId, 'prs');
    await h.client.api.pauseRecording({ callId, recordingId });
    expect(await statusOf(h.client.api.pauseRecording({ callId, recordingId }))).toBe('FAILED_PRECONDITION');
    await h.client.api.resumeRecording({ callId, recordingId });
    await h.client.api.stopRecording({ callId, recordingId });
    await h.client.api.stopRecording({ callId, recordingId });
    const mine = service.requests.filter((r) => r.request.recordingId === recordingId).map((r) => r.method);
    expect(mine).toEqual(['startRecorder', 'pauseRecorder', 'resumeRecorder', 'stopRecorder']);
    expect(typesOf(await h.stream(callId)).slice(-4)).toEqual([
      'RecordingStarted',
      'RecordingPaused',
      'RecordingResumed',
      'RecordingStopped',
    ]);
    expect(await statusOf(h.client.api.stopRecording({ callId, recordingId: 'rec-unknown' }))).toBe(
      'NOT_FOUND',
    );
  });
});

describe('the end of the call, and what the recording service reports after it', () => {
  it('stops the recorder when the call ends, then records the parts saved after the BYE once each, and publishes them', async () => {
    const { callId } = await h.answeredInboundCall();
    const { recordingId } = await startRecording(callId, 'end-1');
    await h.client.hangup(callId);
    const types = typesOf(await h.stream(callId));
    expect(types.slice(types.indexOf('RecordingStarted') + 1)).toEqual([
      'LegEnded',
      'RecordingStopped',
      'CallEnded',
    ]);
    await waitFor('the recorder is told', () =>
      service
        .received('stopRecorder')
        .some((r) => r.recordingId === recordingId && r.reason === Stop.RECORDING_STOP_REASON_CALL_ENDED),
    );

    const part = (n: number, final: boolean) => ({
      $case: 'recordingPartSaved' as const,
      recordingPartSaved: {
        part: n,
        final,
        partial: !final,
        durationMs: 1000,
        channels: 1,
        sampleRateHz: 8000,
        bytes: 16_044,
        sha256: 'ab'.repeat(32),
        totalDurationMs: 1000 * n,
      },
    });
    await RecordingServiceStandIn.publishFact(h.nc, callId, recordingId, part(1, false));
    await RecordingServiceStandIn.publishFact(h.nc, callId, recordingId, part(1, false)); // again, another fact id
    await RecordingServiceStandIn.publishFact(h.nc, callId, recordingId, part(2, true));
    await waitFor(
      'the final part recorded',
      async () =>
        (await eventOf(callId, 'RecordingSaved')).length === 2 &&
        (await eventOf(callId, 'RecordingSaved'))[1]!.part === 2,
    );
    expect((await eventOf(callId, 'RecordingSaved')).map((e) => [e.part, e.final ?? false])).toEqual([
      [1, false],
      [2, true],
    ]);

    // The events after CallEnded reach CALL_EVENTS as the others do.
    const stored = await h.stream(callId);
    const consumer = await jetstream(h.nc).consumers.get(CALL_EVENTS_STREAM, {
      filter_subjects: callEventsOfCall(callId),
    });
    const published: string[] = [];
    await waitFor(
      'every event published',
      async () => {
        const batch = await consumer.fetch({ max_messages: 100, expires: 1000 });
        for await (const m of batch) published.push(m.headers?.get('Callctl-Event-Id') ?? '');
        return published.length >= stored.length;
      },
      10_000,
    );
    expect(published).toEqual(stored.map((e) => e.eventId));
  });

  it('records a recorder that failed after the call ended', async () => {
    const { callId } = await h.answeredInboundCall();
    const { recordingId } = await startRecording(callId, 'fail-1');
    await h.client.hangup(callId);
    await RecordingServiceStandIn.publishFact(h.nc, callId, recordingId, {
      $case: 'recorderFailed',
      recorderFailed: { reason: 'disk full' },
    });
    await waitFor(
      'the failure recorded',
      async () => (await eventOf(callId, 'RecordingFailed')).length === 1,
    );
    expect(typesOf(await h.stream(callId)).slice(-2)).toEqual(['CallEnded', 'RecordingFailed']);
  });
});

describe('RecordLeg', () => {
  it("stops a segment on its terminator key and tells the recorder to cut the key's tone", async () => {
    const { callId, legId } = await h.answeredInboundCall();
    const { recordingId } = await h.client.api.recordLeg({
      callId,
      legId,
      terminator: '#',
      idempotencyKey: 'vm-1',
    });
    expect(service.received('startRecorder').find((r) => r.recordingId === recordingId)).toMatchObject({
      kind: RecordingKind.RECORDING_KIND_SEGMENT,
      maxDurationMs: 120_000,
      silenceTimeoutMs: 5000,
    });
    await h.sipEdge.publishMediaFact(callId, {
      $case: 'dtmfDetected',
      dtmfDetected: { legId: '', tag: legId, digit: '#', durationMs: 160, method: 1 },
    });
    await waitFor(
      'the segment stopped',
      async () => (await eventOf(callId, 'RecordingStopped')).length === 1,
    );
    expect((await eventOf(callId, 'RecordingStopped'))[0]).toMatchObject({
      recordingId,
      reason: 'RECORDING_STOP_REASON_TERMINATOR',
    });
    await waitFor('the recorder is told', () =>
      service.received('stopRecorder').some((r) => r.recordingId === recordingId),
    );
    expect(service.received('stopRecorder').filter((r) => r.recordingId === recordingId)).toEqual([
      { recordingId, reason: Stop.RECORDING_STOP_REASON_TERMINATOR, trimLastMs: 260 },
    ]);
  });

  it('refuses a terminator that is not one key (INVALID_ARGUMENT naming the field)', async () => {
    const { callId, legId } = await h.answeredInboundCall();
    await expect(h.client.api.recordLeg({ callId, legId, terminator: 'A' })).rejects.toMatchObject({
      status: status.INVALID_ARGUMENT,
      details: expect.stringContaining('terminator'),
    });
  });
});

describe('Recordings on the public port', () => {
  it('forwards GetRecording and ListRecordings, and passes NOT_FOUND on with its message', async () => {
    service.recording = recordings.Recording.fromPartial({
      recordingId: 'rec-forwarded',
      callId: 'c-1',
      status: recordings.RecordingStatus.RECORDING_STATUS_SAVED,
      durationMs: 4000,
    });
    await expect(publicRecordings.getRecording({ recordingId: 'rec-forwarded' })).resolves.toEqual({
      recording: service.recording,
    });
    await expect(publicRecordings.listRecordings({})).resolves.toMatchObject({
      recordings: [service.recording],
    });
    await expect(publicRecordings.getRecording({ recordingId: 'rec-none' })).rejects.toMatchObject({
      status: status.NOT_FOUND,
      details: 'recording rec-none does not exist',
    });
  });

  it('streams a download through, every byte in order', async () => {
    service.recording = recordings.Recording.fromPartial({ recordingId: 'rec-wav', callId: 'c-1' });
    service.wav = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));
    const chunks: Uint8Array[] = [];
    for await (const chunk of publicRecordings.downloadRecording({ recordingId: 'rec-wav' }))
      chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.concat(chunks).equals(service.wav)).toBe(true);
    const missing = (async () => {
      for await (const chunk of publicRecordings.downloadRecording({ recordingId: 'rec-none' })) void chunk;
    })();
    await expect(missing).rejects.toMatchObject({ status: status.NOT_FOUND });
  });
});
