// Media commands through the orchestrator to a real media-worker process driving a real rtpengine, with
// real RTP at the caller's end. sip-edge's part (the one-sided session made when a leg is answered) is
// played by the recording SipEdge server, which asks the media-worker exactly as sip-edge does.
import { status } from '@grpc/grpc-js';
import type { GrpcStatusError } from '@callctl/client';
import { callEvents } from '@callctl/proto';
import { makeToneFile, type RtpEndpoint, waitFor } from '@callctl/testing';
import { createLogger } from '@callctl/logging';
import { startHarness, typesOf, type Harness } from './support/orchestrator-harness.js';
import { refused } from './support/call-control-client.js';
import { RecordingServiceStandIn } from './support/recording-service-stand-in.js';
import { startMediaWorkerFixture, type MediaWorkerFixture } from './support/media-worker-fixture.js';

jest.setTimeout(60_000);

const TONE_HZ = 1000;
const ECHO_HZ = 440;

describe('media commands against a real media-worker and rtpengine', () => {
  let fx: MediaWorkerFixture;
  let h: Harness;
  /** The recording service's side of StartRecording and RecordLeg (its gRPC contract, in this process). */
  let recordingService: RecordingServiceStandIn;

  beforeAll(async () => {
    fx = await startMediaWorkerFixture('orchestrator-media-');
    makeToneFile(fx.dir, 'tone-1s.wav', 1, TONE_HZ);
    makeToneFile(fx.dir, 'tone-20s.wav', 20, TONE_HZ);
    recordingService = await RecordingServiceStandIn.start(
      createLogger({ service: 'stand-in', level: 'silent' }),
    );
    h = await startHarness({
      nats: fx.nats,
      orchestrator: { recording: { address: recordingService.address, timeoutMs: 3000 } },
      mediaWorker: { address: fx.address, mediaFilesDir: fx.dir },
      databaseProxy: true, // an outage test cuts the orchestrator's PostgreSQL
      healthProbeIntervalMs: 3_600_000, // and a command, not the probe, is first to find it away
      // What sip-edge does on AnswerLeg: a one-sided rtpengine session (session = call id, tag = leg id).
      sipEdge: { onAnswer: fx.answerCaller },
    });
  });
  afterAll(async () => {
    await h?.stop();
    await recordingService?.stop();
    await fx?.stop();
  });

  async function answeredCall() {
    const ids = await h.sipEdge.offerInboundCall();
    await waitFor('inbound call recorded', async () => (await h.stream(ids.callId)).length === 3);
    await h.client.answerLeg(ids.callId, ids.legId);
    return { ...ids, caller: fx.callers.get(ids.legId)! };
  }

  it('plays a file the caller hears, and records its end reported by the media-worker', async () => {
    const { callId, legId, caller } = await answeredCall();
    const { playbackId } = await h.client.playFile(callId, legId, 'tone-1s.wav', 'p-1');
    await waitFor('the tone at the caller', () => caller.recentToneRatio(TONE_HZ) > 0.5, 10_000);
    const finished = await waitFor(
      'PlaybackFinished',
      async () => (await h.stream(callId)).find((e) => e.type === 'PlaybackFinished'),
      10_000,
    );
    expect(finished.data).toEqual(
      expect.objectContaining({ playbackId, reason: 'PLAYBACK_END_REASON_COMPLETED' }),
    );
  });

  it('answers NOT_FOUND for a missing media file and writes nothing', async () => {
    const { callId, legId } = await answeredCall();
    const before = await h.eventCount();
    let error: GrpcStatusError | undefined;
    await h.client
      .playFile(callId, legId, 'no-such-file.wav', 'p-missing')
      .catch((e: GrpcStatusError) => (error = e));
    expect(error?.status).toBe(status.NOT_FOUND);
    expect(error?.details).toContain('no-such-file.wav');
    expect(await h.eventCount()).toBe(before);
  });

  it('stops a playback: the caller hears it no more, and it ends once', async () => {
    const { callId, legId, caller } = await answeredCall();
    const { playbackId } = await h.client.playFile(callId, legId, 'tone-20s.wav', 'p-long');
    await waitFor('the tone at the caller', () => caller.recentToneRatio(TONE_HZ) > 0.5, 10_000);
    await h.client.stopMedia(callId, playbackId);
    // A 20 s prompt sends ~50 packets a second; after the stop only those already in flight arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
    caller.clearReceived();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(caller.packetsReceived).toBeLessThan(10);
    const stream = await h.stream(callId);
    expect(stream.filter((e) => e.type === 'PlaybackFinished').map((e) => e.data)).toEqual([
      expect.objectContaining({ playbackId, reason: 'PLAYBACK_END_REASON_STOPPED' }),
    ]);
  });

  it('echoes the caller back to itself between StartEcho and StopEcho', async () => {
    const { callId, legId, caller } = await answeredCall();
    caller.startTone(ECHO_HZ);
    try {
      await h.client.startEcho(callId, legId);
      await waitFor('the caller hears itself', () => caller.recentToneRatio(ECHO_HZ) > 0.5, 10_000);
      await h.client.stopEcho(callId, legId);
      // While echoing, ~50 packets a second come back; after the stop only those in flight.
      await new Promise((resolve) => setTimeout(resolve, 200));
      caller.clearReceived();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(caller.packetsReceived).toBeLessThan(10);
    } finally {
      caller.stopTone();
    }
    expect(typesOf(await h.stream(callId)).slice(4)).toEqual(['EchoStarted', 'EchoStopped']);
  });

  it('collects the digits the caller sends in RTP (RFC 4733)', async () => {
    const { callId, legId, caller } = await answeredCall();
    const { collectId } = await h.client.collectDigits({
      callId,
      legId,
      maxDigits: 2,
      idempotencyKey: 'c-rtp',
      firstDigitTimeoutMs: 20_000,
    });
    await caller.sendDigit('4');
    await caller.sendDigit('2');
    const collected = await waitFor(
      'DigitsCollected',
      async () => (await h.stream(callId)).find((e) => e.type === 'DigitsCollected'),
      10_000,
    );
    expect(collected.data).toEqual(
      expect.objectContaining({ collectId, digits: '42', reason: 'COLLECT_END_REASON_MAX_DIGITS' }),
    );
    expect(typesOf(await h.stream(callId)).filter((t) => t === 'DtmfReceived')).toHaveLength(2);
  });

  describe('recording (the recorder is a stand-in; the beep and the digits are real)', () => {
    it('beeps to the caller before the recorder writes, and records the beep as a playback the worker ends', async () => {
      const { callId, legId, caller } = await answeredCall();
      const { recordingId } = await h.client.api.startRecording({
        callId,
        beep: true,
        idempotencyKey: 'r-beep',
      });
      await waitFor('the beep at the caller', () => caller.recentToneRatio(TONE_HZ, 200) > 0.5, 10_000);
      expect(
        recordingService.received('startRecorder').find((r) => r.recordingId === recordingId),
      ).toMatchObject({
        parties: [{ legId, media: { sessionId: callId, tag: legId } }],
        startDelayMs: 400,
      });
      const finished = await waitFor(
        'the beep finished',
        async () => (await h.stream(callId)).find((e) => e.type === 'PlaybackFinished'),
        10_000,
      );
      expect(finished.data).toEqual(
        expect.objectContaining({
          playbackId: `${recordingId}-beep-${legId}`,
          source: 'beep',
          reason: 'PLAYBACK_END_REASON_COMPLETED',
        }),
      );
      expect(typesOf(await h.stream(callId)).slice(4)).toEqual([
        'PlaybackStarted',
        'RecordingStarted',
        'PlaybackFinished',
      ]);
    });

    it("ends a segment on the caller's terminator key (RFC 4733) and has the recorder cut the key", async () => {
      const { callId, legId, caller } = await answeredCall();
      const { recordingId } = await h.client.api.recordLeg({
        callId,
        legId,
        terminator: '#',
        idempotencyKey: 'vm',
      });
      await caller.sendDigit('#');
      await waitFor(
        'the recorder told',
        () => recordingService.received('stopRecorder').some((r) => r.recordingId === recordingId),
        10_000,
      );
      const [stop] = recordingService.received('stopRecorder').filter((r) => r.recordingId === recordingId);
      // The key's tone as the worker measured it, and 100 ms before it was detected.
      expect(stop).toMatchObject({ reason: callEvents.RecordingStopReason.RECORDING_STOP_REASON_TERMINATOR });
      expect(stop!.trimLastMs).toBeGreaterThan(100);
      expect(typesOf(await h.stream(callId)).slice(4)).toEqual([
        'RecordingStarted',
        'DtmfReceived',
        'RecordingStopped',
      ]);
    });
  });

  describe('prompt-and-collect', () => {
    const fileOf = (stream: Awaited<ReturnType<Harness['stream']>>, type: string) =>
      stream.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

    it('plays the prompts in order as the worker reports each end, then times out waiting for the first digit', async () => {
      const { callId, legId } = await answeredCall();
      const { collectId } = await h.client.collectDigits({
        callId,
        legId,
        maxDigits: 1,
        idempotencyKey: 'c-prompts',
        firstDigitTimeoutMs: 300,
        prompts: [
          { media: { $case: 'fileId', fileId: 'tone-1s.wav' } },
          { media: { $case: 'fileId', fileId: 'tone-1s.wav' } },
        ],
      });
      const collected = await waitFor(
        'DigitsCollected',
        async () => (await h.stream(callId)).find((e) => e.type === 'DigitsCollected'),
        15_000,
      );
      // No digit came: the stored payload leaves `digits` out (proto JSON omits empty fields).
      expect(collected.data).toEqual(
        expect.objectContaining({ collectId, reason: 'COLLECT_END_REASON_FIRST_DIGIT_TIMEOUT' }),
      );
      expect(collected.data).not.toHaveProperty('digits');
      const stream = await h.stream(callId);
      // Each prompt ends (reported by the worker) before the next starts; the timer runs after the last.
      expect(typesOf(stream).slice(4)).toEqual([
        'DigitCollectionStarted',
        'PlaybackStarted',
        'PlaybackFinished',
        'PlaybackStarted',
        'PlaybackFinished',
        'DigitsCollected',
      ]);
      expect(fileOf(stream, 'PlaybackFinished')).toEqual([
        expect.objectContaining({ collectId, source: 'file', reason: 'PLAYBACK_END_REASON_COMPLETED' }),
        expect.objectContaining({ collectId, source: 'file', reason: 'PLAYBACK_END_REASON_COMPLETED' }),
      ]);
      expect(fileOf(stream, 'DigitCollectionStarted')[0]).toEqual(
        expect.objectContaining({
          prompts: [
            expect.objectContaining({ mediaUri: 'file:tone-1s.wav', source: 'file' }),
            expect.objectContaining({ mediaUri: 'file:tone-1s.wav', source: 'file' }),
          ],
        }),
      );
    });

    it('barge-in: the first digit stops the prompt at the caller, skips the rest, and is collected', async () => {
      const { callId, legId, caller } = await answeredCall();
      const { collectId } = await h.client.collectDigits({
        callId,
        legId,
        maxDigits: 2,
        idempotencyKey: 'c-barge',
        firstDigitTimeoutMs: 20_000,
        interDigitTimeoutMs: 20_000,
        bargeIn: true,
        prompts: [
          { media: { $case: 'fileId', fileId: 'tone-20s.wav' } },
          { media: { $case: 'fileId', fileId: 'tone-20s.wav' } },
        ],
      });
      await waitFor('the prompt at the caller', () => caller.recentToneRatio(TONE_HZ) > 0.5, 10_000);
      await caller.sendDigit('5');
      await waitFor(
        'the prompt stopped',
        async () => fileOf(await h.stream(callId), 'PlaybackFinished').length === 1,
        10_000,
      );
      // A 20 s prompt sends ~50 packets a second; after the stop only those already in flight arrive.
      await new Promise((resolve) => setTimeout(resolve, 200));
      caller.clearReceived();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(caller.packetsReceived).toBeLessThan(10);
      const stream = await h.stream(callId);
      expect(fileOf(stream, 'PlaybackFinished')).toEqual([
        expect.objectContaining({ collectId, reason: 'PLAYBACK_END_REASON_STOPPED' }),
      ]);
      expect(fileOf(stream, 'PlaybackStarted')).toHaveLength(1); // the second prompt was skipped
      expect(fileOf(stream, 'DtmfReceived')).toEqual([
        expect.objectContaining({ collectId, digit: '5', method: 'DTMF_METHOD_RFC4733' }),
      ]);
    });

    it('moves past a later prompt the worker cannot play (FAILED), then waits for digits', async () => {
      const { callId, legId } = await answeredCall();
      const { collectId } = await h.client.collectDigits({
        callId,
        legId,
        maxDigits: 1,
        idempotencyKey: 'c-failed-prompt',
        firstDigitTimeoutMs: 300,
        prompts: [
          { media: { $case: 'fileId', fileId: 'tone-1s.wav' } },
          { media: { $case: 'fileId', fileId: 'no-such-prompt.wav' } },
        ],
      });
      const collected = await waitFor(
        'DigitsCollected',
        async () => (await h.stream(callId)).find((e) => e.type === 'DigitsCollected'),
        15_000,
      );
      expect(collected.data).toEqual(
        expect.objectContaining({ collectId, reason: 'COLLECT_END_REASON_FIRST_DIGIT_TIMEOUT' }),
      );
      expect(fileOf(await h.stream(callId), 'PlaybackFinished')).toEqual([
        expect.objectContaining({
          playbackId: `${collectId}-prompt-0`,
          reason: 'PLAYBACK_END_REASON_COMPLETED',
        }),
        expect.objectContaining({
          playbackId: `${collectId}-prompt-1`,
          reason: 'PLAYBACK_END_REASON_FAILED',
        }),
      ]);
    });

    it('refuses a prompt file that does not exist and records nothing', async () => {
      const { callId, legId } = await answeredCall();
      const before = await h.eventCount();
      const error = await refused(
        h.client.collectDigits({
          callId,
          legId,
          idempotencyKey: 'c-missing',
          prompts: [{ media: { $case: 'fileId', fileId: 'no-such-prompt.wav' } }],
        }),
      );
      expect(error.status).toBe(status.NOT_FOUND);
      expect(await h.eventCount()).toBe(before);
    });
  });

  describe('bad input records nothing', () => {
    const speech = (text: string) => ({
      input: { $case: 'text' as const, text },
      voice: '',
      provider: '',
      language: '',
    });

    it.each([
      ['empty text', '', /speech.text is empty/],
      ['a 100 kB text', 'a'.repeat(100_000), /speech.text is 100000 characters; at most 3000/],
    ])('Say with %s is INVALID_ARGUMENT', async (_what, text, message) => {
      const { callId, legId } = await answeredCall();
      const before = await h.eventCount();
      const error = await refused(
        h.client.api.say({ callId, legId, speech: speech(text), repeat: 0, idempotencyKey: 's-bad' }),
      );
      expect([error.status, error.details]).toEqual([
        status.INVALID_ARGUMENT,
        expect.stringMatching(message),
      ]);
      expect(await h.eventCount()).toBe(before);
    });

    it('Say while the tts service is unreachable is UNAVAILABLE naming it', async () => {
      const { callId, legId } = await answeredCall();
      const before = await h.eventCount();
      const error = await refused(
        h.client.api.say({ callId, legId, speech: speech('Hello'), repeat: 0, idempotencyKey: 's-down' }),
      );
      expect([error.status, error.details]).toEqual([
        status.UNAVAILABLE,
        expect.stringMatching(/^tts unavailable/),
      ]);
      expect(await h.eventCount()).toBe(before);
    });

    it('SendDtmf with X is INVALID_ARGUMENT naming the key', async () => {
      const { callId, legId } = await answeredCall();
      const before = await h.eventCount();
      const error = await refused(
        h.client.api.sendDtmf({ callId, legId, digits: '12X', durationMs: 0, idempotencyKey: 'd-bad' }),
      );
      expect([error.status, error.details]).toEqual([
        status.INVALID_ARGUMENT,
        expect.stringContaining('"X" is not a DTMF key'),
      ]);
      expect(await h.eventCount()).toBe(before);
    });

    it('PlayMedia of a media-library id while the library is unreachable is UNAVAILABLE and records nothing', async () => {
      const { callId, legId } = await answeredCall();
      const before = await h.eventCount();
      const error = await refused(h.client.playFile(callId, legId, `ml-${'ab'.repeat(16)}`, 'p-lib'));
      // Nothing listens at the harness's media library: the look-up fails before anything plays.
      expect(error.status).toBe(status.UNAVAILABLE);
      expect(error.details).toMatch(/^media-library unavailable/);
      expect(await h.eventCount()).toBe(before);
    });
  });

  describe('while the event log (PostgreSQL) is away', () => {
    afterEach(() => h.databaseProxy!.restore());

    const playbacksStarted = async (callId: string) =>
      (await h.stream(callId)).filter((e) => e.type === 'PlaybackStarted').map((e) => e.data);
    /** Packets at the caller over one second, after those in flight. */
    const packetsInASecond = async (caller: RtpEndpoint) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      caller.clearReceived();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return caller.packetsReceived;
    };

    it('a prompt played is recorded once the log is back, and the retry answers it', async () => {
      const { callId, legId, caller } = await answeredCall();
      h.databaseProxy!.cut();
      const error = await h.client.api
        .playMedia(
          {
            callId,
            legId,
            media: { $case: 'fileId', fileId: 'tone-20s.wav' },
            repeat: 0,
            idempotencyKey: 'p-away',
          },
          { deadlineMs: 1500 },
        )
        .then(
          () => undefined,
          (e: GrpcStatusError) => e,
        );
      expect(error?.status).toBe(status.UNAVAILABLE);
      expect(error?.details).toMatch(/event log \(PostgreSQL\) unavailable: PlayMedia was done/);
      expect(caller.recentToneRatio(TONE_HZ)).toBeGreaterThan(0.5); // it plays
      h.databaseProxy!.restore();
      const started = await waitFor(
        'PlaybackStarted recorded',
        async () => (await playbacksStarted(callId))[0],
        10_000,
      );
      const { playbackId } = await h.client.playFile(callId, legId, 'tone-20s.wav', 'p-away');
      expect(started).toEqual(
        expect.objectContaining({ playbackId, mediaUri: expect.stringContaining('tone-20s.wav') }),
      );
      expect(await playbacksStarted(callId)).toHaveLength(1);
    });

    it('a prompt asked for once the log is known away is refused before it plays', async () => {
      const first = await answeredCall();
      const { callId, legId, caller } = await answeredCall();
      h.databaseProxy!.cut();
      // The first command finds the log away (it acts and is recorded later: the test above).
      await h.client.api
        .playMedia(
          {
            callId: first.callId,
            legId: first.legId,
            media: { $case: 'fileId', fileId: 'tone-1s.wav' },
            repeat: 0,
            idempotencyKey: 'p-first',
          },
          { deadlineMs: 1500 },
        )
        .catch(() => undefined);
      let error: GrpcStatusError | undefined;
      await h.client
        .playFile(callId, legId, 'tone-20s.wav', 'p-refused')
        .catch((e: GrpcStatusError) => (error = e));
      expect([error?.status, error?.details]).toEqual([
        status.UNAVAILABLE,
        'event log (PostgreSQL) unavailable',
      ]);
      expect(await packetsInASecond(caller)).toBeLessThan(10);
      h.databaseProxy!.restore();
      await waitFor(
        'the first one recorded',
        async () => (await playbacksStarted(first.callId)).length === 1,
        10_000,
      );
      expect(await playbacksStarted(callId)).toHaveLength(0);
    });
  });
});
