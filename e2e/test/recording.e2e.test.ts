// Recording (issue 13) through the public API, with real sipp callers and callees whose RTP the test owns,
// rtpengine forking each party to the recording service, PostgreSQL and NATS: dual and mono files of a
// connected call with each party's tone on its own channel, pause and resume (silence and cut), voicemail
// segments ending on silence and on a terminator key after a beep, a transcoded call, and bad input.
import { createRecordingsClient, NO_RETRIES, type RecordingsClient } from '@callctl/client';
import { callEvents, type eventlog } from '@callctl/proto';
import { type CodecEndpoint, RtpEndpoint, toneRatio, waitFor } from '@callctl/testing';
import { CALLEE_HZ, CALLER_HZ, callParties } from '../support/call-parties.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { readRecordedWav, rms, window8k, type RecordedWav } from '../support/recorded-wav.js';

jest.setTimeout(120_000);

const BEEP_HZ = 1000;
const TONE_DETECTED = 0.5;
/** A tone "absent" from a channel: under 5 % of the window's power at its frequency. */
const TONE_ABSENT = 0.05;
/** Digital silence, or close to it: a window's RMS under this (a tone here peaks at 8000). */
const QUIET_RMS = 50;
const R = callEvents.RecordingStopReason;
const CH = callEvents.RecordingChannels;
const PM = callEvents.PauseMode;

const ms = (t: eventlog.EventEnvelope['recordedAt']) => (t ? t.getTime() : Number.NaN);
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('recording through the public API', () => {
  let p: PlatformUnderTest;
  let recordings: RecordingsClient;
  const parties = callParties(() => p);
  const { rtpEndpoint, sipp, inboundCall, connectedCall, answeredCaller } = parties;

  beforeAll(async () => {
    p = await startPlatform({}, { recording: true });
    // The public Recordings is served on the orchestrator's address, as CallControl is.
    recordings = createRecordingsClient({
      address: `127.0.0.1:${p.orchestrator.grpcPort}`,
      deadlineMs: 30_000,
      retry: NO_RETRIES,
    });
  });
  afterEach(() => parties.cleanUp());
  afterAll(async () => {
    recordings?.close();
    await p?.close();
  });

  const envelopeOf = async <C extends 'recordingStarted' | 'recordingStopped' | 'recordingSaved'>(
    kind: C,
    recordingId: string,
    timeoutMs = 20_000,
  ) => {
    const e = await p.event(
      kind,
      (x) => (x.event as unknown as Record<C, { recordingId: string }>)[kind].recordingId === recordingId,
      timeoutMs,
    );
    return e;
  };

  /** The final RecordingSaved of a recording, and its file. */
  async function savedFile(
    recordingId: string,
    part = 1,
  ): Promise<{ saved: callEvents.RecordingSaved; wav: RecordedWav }> {
    const event = await p.event(
      'recordingSaved',
      (e) => e.event.recordingSaved.recordingId === recordingId && e.event.recordingSaved.part === part,
      20_000,
    );
    const chunks: Buffer[] = [];
    for await (const chunk of recordings.downloadRecording({ recordingId, part }))
      chunks.push(Buffer.from(chunk));
    const bytes = Buffer.concat(chunks);
    return { saved: event.event.recordingSaved, wav: readRecordedWav(bytes) };
  }

  /**
   * Checks every 100 ms for `forMs` that each party hears the other's tone (over the last 200 ms); returns
   * the moments (ms from the start) when one did not.
   */
  async function twoWayAudioGaps(
    call: { callerRtp: RtpEndpoint | CodecEndpoint; calleeRtp: RtpEndpoint },
    forMs: number,
  ): Promise<string[]> {
    const caller = call.callerRtp;
    if (!(caller instanceof RtpEndpoint)) throw new Error('a PCMU caller is needed to hear the callee');
    const gaps: string[] = [];
    for (let at = 0; at < forMs; at += 100) {
      if (call.calleeRtp.recentToneRatio(CALLER_HZ, 200) < TONE_DETECTED) gaps.push(`callee at ${at} ms`);
      if (caller.recentToneRatio(CALLEE_HZ, 200) < TONE_DETECTED) gaps.push(`caller at ${at} ms`);
      await sleep(100);
    }
    return gaps;
  }

  const ratioIn = (wav: RecordedWav, channel: number, hz: number, fromMs: number, toMs: number) =>
    toneRatio(window8k(wav, channel, fromMs, toMs), hz);

  it('records a connected call in two channels: 700 Hz left only, 1300 Hz right only, saved within 1 s of the BYE', async () => {
    const call = await connectedCall('rec-dual');
    const { recordingId } = await p.api.startRecording({
      callId: call.callId,
      channels: CH.RECORDING_CHANNELS_DUAL,
      idempotencyKey: `rec-${call.callId}`,
    });
    expect(recordingId).toMatch(/^rec-[0-9a-f]{32}$/);
    const started = await envelopeOf('recordingStarted', recordingId);
    expect(started.event.recordingStarted.legIds).toEqual([call.callerLeg, call.calleeLeg]);
    await sleep(3000);
    await p.api.hangup({ callId: call.callId });

    const stopped = await envelopeOf('recordingStopped', recordingId);
    expect(stopped.event.recordingStopped.reason).toBe(R.RECORDING_STOP_REASON_CALL_ENDED);
    const { saved, wav } = await savedFile(recordingId);
    expect(saved).toMatchObject({ final: true, partial: false, channels: 2, sampleRateHz: 8000 });
    expect(wav.channels).toBe(2);
    expect(wav.sampleRate).toBe(8000);
    expect(saved.durationMs).toBeCloseTo(wav.durationMs, -1);

    // Saved within 1 s of the BYE: the first leg's end, as the log recorded it.
    const firstEnd = await p.event('legEnded', (e) => e.event.legEnded.callId === call.callId);
    const savedEvent = await envelopeOf('recordingSaved', recordingId);
    expect(ms(savedEvent.envelope!.recordedAt) - ms(firstEnd.envelope!.recordedAt)).toBeLessThanOrEqual(1000);
    // The file lasts as long as the recording ran, as the log recorded its start and stop.
    const talkMs = ms(stopped.envelope!.recordedAt) - ms(started.envelope!.recordedAt);
    expect(Math.abs(wav.durationMs - talkMs)).toBeLessThanOrEqual(100);

    // Each party on its own channel, through the whole file (the first and last 200 ms left out).
    const [from, to] = [200, wav.durationMs - 200];
    expect(ratioIn(wav, 0, CALLER_HZ, from, to)).toBeGreaterThan(TONE_DETECTED);
    expect(ratioIn(wav, 0, CALLEE_HZ, from, to)).toBeLessThan(TONE_ABSENT);
    expect(ratioIn(wav, 1, CALLEE_HZ, from, to)).toBeGreaterThan(TONE_DETECTED);
    expect(ratioIn(wav, 1, CALLER_HZ, from, to)).toBeLessThan(TONE_ABSENT);

    const { recording } = await recordings.getRecording({ recordingId });
    expect(recording).toMatchObject({
      recordingId,
      callId: call.callId,
      legIds: [call.callerLeg, call.calleeLeg],
      parts: [expect.objectContaining({ part: 1, saved: true, partial: false, sha256: saved.sha256 })],
    });
    const listed = await recordings.listRecordings({ callId: call.callId });
    expect(listed.recordings.map((r) => r.recordingId)).toEqual([recordingId]);
  });

  it('pauses for 2 s inside the recorder: mono file with both tones and 2 s of silence where the pause was; the call kept two-way audio', async () => {
    const call = await connectedCall('rec-pause');
    const { recordingId } = await p.api.startRecording({
      callId: call.callId,
      channels: CH.RECORDING_CHANNELS_MONO,
    });
    const startedAt = Date.now();
    await sleep(1500);
    await p.api.pauseRecording({ callId: call.callId, recordingId });
    const pausedAt = Date.now() - startedAt;
    await p.event('recordingPaused', (e) => e.event.recordingPaused.recordingId === recordingId);
    // The live call is untouched by the pause: both parties keep hearing each other all along.
    expect(await twoWayAudioGaps(call, 2000)).toEqual([]);
    await p.api.resumeRecording({ callId: call.callId, recordingId });
    await sleep(1500);
    await p.api.stopRecording({ callId: call.callId, recordingId });
    const stopped = await envelopeOf('recordingStopped', recordingId);
    expect(stopped.event.recordingStopped.reason).toBe(R.RECORDING_STOP_REASON_REQUESTED);
    const { wav } = await savedFile(recordingId);
    expect(wav.channels).toBe(1);

    const { recording } = await recordings.getRecording({ recordingId });
    expect(recording!.pauses).toHaveLength(1);
    const pause = recording!.pauses[0]!;
    expect(pause.durationMs).toBeGreaterThan(1800);
    expect(pause.durationMs).toBeLessThan(2300);
    expect(Math.abs(pause.offsetMs - pausedAt)).toBeLessThan(300);
    // Both tones before and after the pause, silence inside it, and the file keeps the call's timeline.
    const before = [200, pause.offsetMs - 200] as const;
    const inside = [pause.offsetMs + 200, pause.offsetMs + pause.durationMs - 200] as const;
    const after = [pause.offsetMs + pause.durationMs + 200, wav.durationMs - 200] as const;
    for (const [from, to] of [before, after]) {
      expect(ratioIn(wav, 0, CALLER_HZ, from, to)).toBeGreaterThan(0.2);
      expect(ratioIn(wav, 0, CALLEE_HZ, from, to)).toBeGreaterThan(0.2);
    }
    expect(rms(window8k(wav, 0, ...inside))).toBeLessThan(QUIET_RMS);
    expect(wav.durationMs).toBeGreaterThan(4500);
    await p.api.hangup({ callId: call.callId });
  });

  it('cuts the pause with PAUSE_MODE_CUT: the file is 2 s shorter and has no silence', async () => {
    const call = await connectedCall('rec-cut');
    const { recordingId } = await p.api.startRecording({
      callId: call.callId,
      channels: CH.RECORDING_CHANNELS_DUAL,
      pauseMode: PM.PAUSE_MODE_CUT,
    });
    await sleep(1500);
    await p.api.pauseRecording({ callId: call.callId, recordingId });
    await sleep(2000);
    await p.api.resumeRecording({ callId: call.callId, recordingId });
    await sleep(1500);
    await p.api.stopRecording({ callId: call.callId, recordingId });
    const stopped = await envelopeOf('recordingStopped', recordingId);
    const started = await envelopeOf('recordingStarted', recordingId);
    const { wav } = await savedFile(recordingId);
    const { recording } = await recordings.getRecording({ recordingId });
    const pause = recording!.pauses[0]!;
    const runMs = ms(stopped.envelope!.recordedAt) - ms(started.envelope!.recordedAt);
    expect(Math.abs(wav.durationMs - (runMs - pause.durationMs))).toBeLessThan(300);
    expect(wav.durationMs).toBeLessThan(3500);
    // No silent stretch anywhere: each 200 ms window of the left channel has the caller's tone.
    for (let at = 100; at + 200 < wav.durationMs - 100; at += 200)
      expect(ratioIn(wav, 0, CALLER_HZ, at, at + 200)).toBeGreaterThan(0.3);
    await p.api.hangup({ callId: call.callId });
  });

  it('records a voicemail after a beep the caller hears, ending on 2 s of silence with about 3 s of audio', async () => {
    const caller = await answeredCaller('rec-voicemail');
    const { recordingId } = await p.api.recordLeg({
      callId: caller.callId,
      legId: caller.legId,
      beep: true,
      silenceTimeoutMs: 2000,
      maxLengthMs: 30_000,
    });
    await waitFor(
      'the beep at the caller',
      () => caller.rtp.recentToneRatio(BEEP_HZ, 200) > TONE_DETECTED,
      5000,
    );
    // The beep lasts 400 ms; the caller speaks once it is over, as a person would.
    await sleep(500);
    caller.rtp.startTone(CALLER_HZ);
    await sleep(3000);
    caller.rtp.startTone(0); // silence, still in packets
    const stopped = await envelopeOf('recordingStopped', recordingId, 15_000);
    expect(stopped.event.recordingStopped.reason).toBe(R.RECORDING_STOP_REASON_SILENCE);
    const { saved, wav } = await savedFile(recordingId);
    expect(saved.channels).toBe(1);
    expect(wav.durationMs).toBeGreaterThan(2700);
    expect(wav.durationMs).toBeLessThan(3500);
    expect(ratioIn(wav, 0, CALLER_HZ, 300, 2500)).toBeGreaterThan(TONE_DETECTED);
    const started = await envelopeOf('recordingStarted', recordingId);
    expect(started.event.recordingStarted).toMatchObject({
      kind: callEvents.RecordingKind.RECORDING_KIND_SEGMENT,
      legIds: [caller.legId],
      beep: true,
    });
    await p.api.hangup({ callId: caller.callId });
  });

  it('ends a voicemail on the terminator key, without the key in the file', async () => {
    const caller = await answeredCaller('rec-voicemail-hash');
    const { recordingId } = await p.api.recordLeg({
      callId: caller.callId,
      legId: caller.legId,
      terminator: '#',
      silenceTimeoutMs: 10_000,
    });
    await envelopeOf('recordingStarted', recordingId);
    caller.rtp.startTone(CALLER_HZ);
    await sleep(2000);
    caller.rtp.startTone(0);
    await caller.rtp.sendDigit('#');
    const stopped = await envelopeOf('recordingStopped', recordingId, 15_000);
    expect(stopped.event.recordingStopped.reason).toBe(R.RECORDING_STOP_REASON_TERMINATOR);
    const { wav } = await savedFile(recordingId);
    expect(wav.durationMs).toBeGreaterThan(1800);
    expect(ratioIn(wav, 0, CALLER_HZ, 300, 1700)).toBeGreaterThan(TONE_DETECTED);
    await p.api.hangup({ callId: caller.callId });
  });

  it('records a transcoded call (a G.722 caller, a PCMU callee): both channels decode to the right tones, at 16 kHz', async () => {
    const call = await connectedCall('rec-g722', 'G722');
    const { recordingId } = await p.api.startRecording({ callId: call.callId });
    await sleep(2500);
    await p.api.stopRecording({ callId: call.callId, recordingId });
    const { saved, wav } = await savedFile(recordingId);
    expect(saved.sampleRateHz).toBe(16000);
    expect(wav.sampleRate).toBe(16000);
    const [from, to] = [300, wav.durationMs - 300];
    expect(ratioIn(wav, 0, CALLER_HZ, from, to)).toBeGreaterThan(TONE_DETECTED);
    expect(ratioIn(wav, 0, CALLEE_HZ, from, to)).toBeLessThan(TONE_ABSENT);
    expect(ratioIn(wav, 1, CALLEE_HZ, from, to)).toBeGreaterThan(TONE_DETECTED);
    expect(ratioIn(wav, 1, CALLER_HZ, from, to)).toBeLessThan(TONE_ABSENT);
    await p.api.hangup({ callId: call.callId });
  });

  it('refuses bad input with the right status', async () => {
    // No answered leg: the caller rings, nobody answers.
    const ringing = await rtpEndpoint();
    await sipp('uac-answered-expect-bye.xml', ringing.port, { service: 'rec-unanswered' });
    const unanswered = await inboundCall('rec-unanswered');
    await expect(p.api.startRecording({ callId: unanswered.callId })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
    await p.api.rejectLeg({ callId: unanswered.callId, legId: unanswered.legId, sipStatus: 486 });

    const caller = await answeredCaller('rec-bad-input');
    const key = `first-${caller.callId}`;
    const first = await p.api.startRecording({ callId: caller.callId, idempotencyKey: key });
    // The same key: the first one's id; another request while it runs: ALREADY_EXISTS.
    expect(await p.api.startRecording({ callId: caller.callId, idempotencyKey: key })).toEqual(first);
    await expect(
      p.api.startRecording({ callId: caller.callId, idempotencyKey: `other-${caller.callId}` }),
    ).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await p.api.pauseRecording({ callId: caller.callId, recordingId: first.recordingId });
    await expect(
      p.api.pauseRecording({ callId: caller.callId, recordingId: first.recordingId }),
    ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await expect(
      p.api.pauseRecording({ callId: caller.callId, recordingId: 'rec-00000000000000000000000000000000' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      recordings.getRecording({ recordingId: 'rec-00000000000000000000000000000000' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(recordings.deleteRecording({ recordingId: first.recordingId })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
    await p.api.stopRecording({ callId: caller.callId, recordingId: first.recordingId });
    await savedFile(first.recordingId);
    await recordings.deleteRecording({ recordingId: first.recordingId });
    await expect(recordings.getRecording({ recordingId: first.recordingId })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await p.api.hangup({ callId: caller.callId });
  });
});
