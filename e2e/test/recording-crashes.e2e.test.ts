// Crashes lose no recording (issue 13, item 5): kill -9 of the recording service mid-call finalises what it
// wrote as a partial part and records on into the next part while the call is up, or ends the recording
// when the call ended meanwhile; kill -9 of the media-worker or of the orchestrator does not stop a running
// recording (the fork lives in rtpengine, the recorder in its own process).
import { join } from 'node:path';
import { createRecordingsClient, NO_RETRIES, type RecordingsClient } from '@callctl/client';
import { callEvents, recordings as recordingsApi } from '@callctl/proto';
import { RtpEndpoint, startSipp, toneRatio, waitFor, type RunningSipp } from '@callctl/testing';
import { startPlatform, type PlatformUnderTest } from '../support/platform-under-test.js';
import { readRecordedWav, window8k, type RecordedWav } from '../support/recorded-wav.js';

jest.setTimeout(150_000);

const SCENARIOS = join(__dirname, '..', 'scenarios');
const CALLER_HZ = 700;
const CALLEE_HZ = 1300;
const TONE_DETECTED = 0.5;
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe('recordings survive crashes', () => {
  let p: PlatformUnderTest;
  let recordings: RecordingsClient;
  const sipps: RunningSipp[] = [];
  const endpoints: RtpEndpoint[] = [];

  beforeAll(async () => {
    p = await startPlatform({}, { recording: true });
    recordings = createRecordingsClient({
      address: `127.0.0.1:${p.orchestrator.grpcPort}`,
      deadlineMs: 30_000,
      retry: NO_RETRIES,
    });
  });
  afterEach(async () => {
    await Promise.all(sipps.splice(0).map((s) => s.stop(1000)));
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
  });
  afterAll(async () => {
    recordings?.close();
    await p?.close();
  });

  const endpoint = async () => {
    const e = await RtpEndpoint.open();
    endpoints.push(e);
    return e;
  };
  const sipp = async (scenario: string, rtpPort: number, service?: string) => {
    const run = await startSipp({
      scenario: join(SCENARIOS, scenario),
      ...(service ? { remote: `127.0.0.1:${p.edge.engine.sipPort}`, service } : {}),
      args: ['-key', 'rtp_port', String(rtpPort)],
      timeoutMs: 120_000,
    });
    sipps.push(run);
    return run;
  };
  const mediaOf = async (legId: string) => {
    const initiated = await p.event('legInitiated', (e) => e.event.legInitiated.legId === legId);
    return initiated.event.legInitiated.media!;
  };

  /** A caller dialled through to a callee, each sending its tone, and a dual recording of them running. */
  async function recordedCall(service: string) {
    const callerRtp = await endpoint();
    const calleeRtp = await endpoint();
    const callee = await sipp('uas-answers-expect-bye.xml', calleeRtp.port);
    await sipp('uac-answered-expect-bye.xml', callerRtp.port, service);
    const inbound = await p.event('legInitiated', (e) =>
      e.event.legInitiated.toUri.includes(`sip:${service}@`),
    );
    const { callId, legId: callerLeg } = inbound.event.legInitiated;
    const { legId: calleeLeg } = await p.api.dial({
      callId,
      bridgeWithLegId: callerLeg,
      toUri: `sip:callee@127.0.0.1:${callee.port}`,
      fromUri: '',
      ringTimeoutMs: 10_000,
      idempotencyKey: `dial-${callId}`,
    });
    await p.event('legsBridged', (e) => e.event.legsBridged.callId === callId);
    callerRtp.useRemote(await p.edge.rtpengineSideOf(await mediaOf(callerLeg)));
    calleeRtp.useRemote(await p.edge.rtpengineSideOf(await mediaOf(calleeLeg)));
    callerRtp.startTone(CALLER_HZ);
    calleeRtp.startTone(CALLEE_HZ);
    await waitFor(
      'the caller heard by the callee',
      () => calleeRtp.recentToneRatio(CALLER_HZ) > TONE_DETECTED,
      10_000,
    );
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
