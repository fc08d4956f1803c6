// Crashes lose no recording (issue 13, item 5): kill -9 of the recording service mid-call finalises what it
// wrote as a partial part and records on into the next part while the call is up, or ends the recording
// when the call ended meanwhile; kill -9 of the media-worker or of the orchestrator does not stop a running
// recording (the fork lives in rtpengine, the recorder in its own process).
import { createRecordingsClient, NO_RETRIES, type RecordingsClient } from '@callctl/client';
import { callEvents, recordings as recordingsApi } from '@callctl/proto';
import { toneRatio, waitFor } from '@callctl/testing';
import { CALLEE_HZ, CALLER_HZ, callParties } from '../support/call-parties.js';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { readRecordedWav, window8k, type RecordedWav } from '../support/recorded-wav.js';

jest.setTimeout(150_000);

const TONE_DETECTED = 0.5;
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('recordings survive crashes', () => {
  let p: PlatformUnderTest;
  let recordings: RecordingsClient;
  const parties = callParties(() => p);

  beforeAll(async () => {
    p = await startPlatform({}, { recording: true });
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

  /** A caller dialled through to a callee, each sending its tone, and a dual recording of them running. */
  async function recordedCall(service: string) {
    const { callId } = await parties.connectedCall(service);
    const { recordingId } = await p.api.startRecording({ callId, idempotencyKey: `rec-${callId}` });
    return { callId, recordingId };
  }

  const saved = (recordingId: string, part: number, timeoutMs = 30_000) =>
    p
      .event(
        'recordingSaved',
        (e) => e.event.recordingSaved.recordingId === recordingId && e.event.recordingSaved.part === part,
        timeoutMs,
      )
      .then((e) => e.event.recordingSaved);

  /** A part's file; a recording service still coming back up is waited for, as an application would. */
  async function download(recordingId: string, part: number): Promise<RecordedWav> {
    return waitFor(
      `part ${part} of ${recordingId}`,
      async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of recordings.downloadRecording({ recordingId, part }))
          chunks.push(Buffer.from(chunk));
        return readRecordedWav(Buffer.concat(chunks));
      },
      15_000,
      250,
    );
  }

  /**
   * The caller left and the callee right all through the file: a crash that cost the recording audio
   * leaves a gap as long as the outage (a second or more), so no two 200 ms windows in a row may miss a
   * tone. A lone window may, on a box loaded by the whole suite: the test's own RTP senders, in this jest
   * worker, stall for a tick now and then, and then nothing reaches rtpengine to be forked (at most a tenth).
   */
  function expectTonesThroughout(wav: RecordedWav, margin = 200): void {
    expect(wav.channels).toBe(2);
    const quiet: number[] = [];
    let windows = 0;
    for (let at = margin; at + 200 <= wav.durationMs - margin; at += 200) {
      windows += 1;
      if (
        toneRatio(window8k(wav, 0, at, at + 200), CALLER_HZ) < TONE_DETECTED ||
        toneRatio(window8k(wav, 1, at, at + 200), CALLEE_HZ) < TONE_DETECTED
      )
        quiet.push(at);
    }
    const gaps = quiet.filter((at, i) => i > 0 && quiet[i - 1] === at - 200);
    expect({ windows, quiet, gaps }).toEqual({
      windows,
      quiet: quiet.length <= Math.max(1, Math.floor(windows / 10)) ? quiet : [],
      gaps: [],
    });
  }

  it('kill -9 of the recording service mid-call: the part written so far is saved as partial and recording goes on into part 2', async () => {
    const { callId, recordingId } = await recordedCall('rec-kill-recorder');
    await sleep(2500);
    await p.edge.restartRecording();
    const first = await saved(recordingId, 1);
    expect(first).toMatchObject({ final: false, partial: true, channels: 2 });
    expect(first.durationMs).toBeGreaterThan(1500);
    await sleep(2500);
    await p.api.hangup({ callId });
    const second = await saved(recordingId, 2);
    expect(second).toMatchObject({ final: true, partial: false });
    expect(second.totalDurationMs).toBe(first.durationMs + second.durationMs);
    expectTonesThroughout(await download(recordingId, 1), 300);
    expectTonesThroughout(await download(recordingId, 2));
    const { recording } = await recordings.getRecording({ recordingId });
    expect(recording!.parts.map((part) => [part.part, part.saved, part.partial])).toEqual([
      [1, true, true],
      [2, true, false],
    ]);
    expect(recording!.status).toBe(recordingsApi.RecordingStatus.RECORDING_STATUS_SAVED);
  });

  it('kill -9 of the recording service, then the call ends before it is back: the partial part is the whole recording', async () => {
    const { callId, recordingId } = await recordedCall('rec-kill-recorder-call-ends');
    await sleep(2000);
    await p.edge.killRecording();
    await p.api.hangup({ callId });
    await p.event('callEnded', (e) => e.event.callEnded.callId === callId);
    await p.edge.startRecording();
    const only = await saved(recordingId, 1);
    expect(only).toMatchObject({ final: true, partial: true });
    expectTonesThroughout(await download(recordingId, 1), 300);
  });

  it('kill -9 of the media-worker does not stop a running recording', async () => {
    const { callId, recordingId } = await recordedCall('rec-kill-worker');
    await sleep(1500);
    await p.edge.restartMediaWorker({ downMs: 1500 });
    await sleep(1500);
    await p.api.stopRecording({ callId, recordingId });
    const only = await saved(recordingId, 1);
    expect(only).toMatchObject({ final: true, partial: false });
    expect(only.durationMs).toBeGreaterThan(4000);
    expectTonesThroughout(await download(recordingId, 1));
    await p.api.hangup({ callId });
  });

  it('kill -9 of the orchestrator does not stop a running recording, and the hangup after its restart saves it', async () => {
    const { callId, recordingId } = await recordedCall('rec-kill-orchestrator');
    await sleep(1500);
    await p.killOrchestrator();
    await sleep(1500);
    await p.startOrchestrator();
    await sleep(1000);
    await p.api.hangup({ callId });
    const only = await saved(recordingId, 1);
    expect(only).toMatchObject({ final: true, partial: false });
    expect(only.durationMs).toBeGreaterThan(3500);
    expectTonesThroughout(await download(recordingId, 1));
    const stopped = await p.event(
      'recordingStopped',
      (e) => e.event.recordingStopped.recordingId === recordingId,
    );
    expect(stopped.event.recordingStopped.reason).toBe(
      callEvents.RecordingStopReason.RECORDING_STOP_REASON_CALL_ENDED,
    );
  });
});
