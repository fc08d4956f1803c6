import { callEvents } from '@callctl/proto';
import type { CallCommand } from '../domain/call.commands';
import { foldEvents } from '../domain/call.state';
import * as b from '../domain/testing/builders';
import { CommandEffects } from './command-effects';
import { stopRecordersOf } from './capabilities/recordings.effects';
import type { EffectPorts } from './capabilities/effects';
import { PeerError, PEER_ERROR_CODES } from './errors';
import type { MediaPort, RecorderPort, SipEdgePort } from './ports';

const { RecordingStopReason: Stop, RecordingKind, RecordingChannels, PauseMode } = callEvents;

// Port methods the test does not expect fail it when called.
const untouchable = <T extends object>(name: string, allowed: Partial<T> = {}): T =>
  new Proxy(allowed as T, {
    get: (target, method) =>
      method in target
        ? target[method as keyof T]
        : () => {
            throw new Error(`${name}.${String(method)} must not be called`);
          },
  });

const R = 'rec-r1';
const answered = foldEvents(b.bothAnswered());
const refusal = new PeerError('recording', PEER_ERROR_CODES.illegalState, 'media session C1 is gone');

/** What the ports were asked, in order. */
function recorded(recorder: Partial<RecorderPort> = {}, media: Partial<MediaPort> = {}) {
  const calls: unknown[][] = [];
  const log =
    (name: string) =>
    async (...args: unknown[]) =>
      void calls.push([name, ...args]);
  const effects = new CommandEffects(
    untouchable<SipEdgePort>('sipEdge'),
    untouchable<MediaPort>('media', { play: log('play'), ...media }),
    undefined,
    untouchable<RecorderPort>('recorder', {
      startRecorder: log('startRecorder'),
      pauseRecorder: log('pauseRecorder'),
      resumeRecorder: log('resumeRecorder'),
      stopRecorder: log('stopRecorder'),
      ...recorder,
    }),
  );
  return { calls, effects };
}

describe('recordings effects: start', () => {
  it('beeps to each leg where its media is, then starts the recorder to write once the beep has played', async () => {
    const { calls, effects } = recorded();
    const decision = {
      events: [
        b.beepStarted(R, 'A'),
        b.beepStarted(R, 'B'),
        b.callRecordingStarted(R, ['A', 'B'], { beep: true }),
      ],
      resultId: R,
    };
    await effects.before('C1', b.startRecording({ beep: true }), decision, answered);
    expect(calls).toEqual([
      ['play', expect.objectContaining({ party: { sessionId: 'C1', tag: 'A' }, source: 'tone:1000:400' })],
      ['play', expect.objectContaining({ party: { sessionId: 'C1', tag: 'B' }, playbackId: `${R}-beep-B` })],
      [
        'startRecorder',
        {
          recordingId: R,
          callId: 'C1',
          kind: RecordingKind.RECORDING_KIND_CALL,
          parties: [
            { legId: 'A', media: { sessionId: 'C1', tag: 'A' } },
            { legId: 'B', media: { sessionId: 'C1', tag: 'B' } },
          ],
          channels: RecordingChannels.RECORDING_CHANNELS_DUAL,
          pauseMode: PauseMode.PAUSE_MODE_SILENCE,
          maxDurationMs: 0,
          silenceTimeoutMs: 0,
          startDelayMs: 400,
        },
      ],
    ]);
  });

  it('starts a segment at once without a beep, with its silence timeout and length', async () => {
    const { calls, effects } = recorded();
    const segment = b.segmentStarted('rec-s1', 'B');
    await effects.before('C1', b.recordLeg('B'), { events: [segment], resultId: 'rec-s1' }, answered);
    expect(calls).toEqual([
      [
        'startRecorder',
        expect.objectContaining({
          kind: RecordingKind.RECORDING_KIND_SEGMENT,
          parties: [{ legId: 'B', media: { sessionId: 'C1', tag: 'B' } }],
          maxDurationMs: 120_000,
          silenceTimeoutMs: 5000,
          startDelayMs: 0,
        }),
      ],
    ]);
  });

  it("passes the recorder's refusal on, so nothing is appended", async () => {
    const { effects } = recorded({ startRecorder: () => Promise.reject(refusal) });
    await expect(
      effects.before('C1', b.startRecording(), { events: [b.callRecordingStarted(R, ['A', 'B'])] }, answered),
    ).rejects.toBe(refusal);
  });

  it('asks nothing for a replay (no new events)', async () => {
    const { calls, effects } = recorded();
    await effects.before('C1', b.startRecording({}, 'R2', 'k'), { events: [], resultId: R }, answered);
    expect(calls).toEqual([]);
  });

  it('acts before the append for every recording request', () => {
    const { effects } = recorded();
    for (const c of [
      b.startRecording(),
      b.recordLeg('A'),
      b.pauseRecording(R),
      b.resumeRecording(R),
      b.stopRecording(R),
    ])
      expect(effects.actsBeforeAppend(c)).toBe(true);
  });
});

describe('recordings effects: pause, resume, stop', () => {
  const running = foldEvents([...b.bothAnswered(), b.callRecordingStarted(R, ['A', 'B'])]);
  it('pauses, resumes and stops the recorder before the append', async () => {
    const { calls, effects } = recorded();
    await effects.before('C1', b.pauseRecording(R), { events: [b.recordingPaused(R)] }, running);
    await effects.before('C1', b.resumeRecording(R), { events: [b.recordingResumed(R)] }, running);
    await effects.before('C1', b.stopRecording(R), { events: [b.recordingStopped(R)] }, running);
    expect(calls).toEqual([
      ['pauseRecorder', R],
      ['resumeRecorder', R],
      ['stopRecorder', R, Stop.RECORDING_STOP_REASON_REQUESTED, 0],
    ]);
  });
  it('takes a recorder that no longer knows the recording as stopped', async () => {
    const gone = new PeerError('recording', PEER_ERROR_CODES.notFound, 'no recorder rec-r1');
    const { effects } = recorded({ stopRecorder: () => Promise.reject(gone) });
    await expect(
      effects.before('C1', b.stopRecording(R), { events: [b.recordingStopped(R)] }, running),
    ).resolves.toBeUndefined();
  });
  it("passes the recorder's failure to pause on", async () => {
    const { effects } = recorded({ pauseRecorder: () => Promise.reject(refusal) });
    await expect(
      effects.before('C1', b.pauseRecording(R), { events: [b.recordingPaused(R)] }, running),
    ).rejects.toBe(refusal);
  });
});

describe('recordings effects: a recording stopped by what the recorder did not see (after any command)', () => {
  const running = foldEvents([...b.bothAnswered(), b.segmentStarted('rec-s1', 'A', { terminator: '#' })]);
  const ended = b.recordingStopped(R, Stop.RECORDING_STOP_REASON_CALL_ENDED);

  it("tells the recorder after the append of the call's end (a fact that has no effect of its own)", async () => {
    const { calls, effects } = recorded();
    const command = b.recordLegEnded('A', b.EndCause.END_CAUSE_REMOTE_HANGUP);
    await effects.after('C1', command, { events: [b.legEnded('A', 1), ended, b.callEnded(1)] }, running);
    expect(calls).toEqual([['stopRecorder', R, Stop.RECORDING_STOP_REASON_CALL_ENDED, 0]]);
  });

  it("cuts the terminator key's tone and 100 ms from a segment", async () => {
    const { calls, effects } = recorded();
    const stopped = b.recordingStopped('rec-s1', Stop.RECORDING_STOP_REASON_TERMINATOR);
    const key: CallCommand = {
      type: 'RecordDtmf',
      data: { legId: 'A', digit: '#', durationMs: 160 },
      metadata: b.meta(),
    };
    await effects.after('C1', key, { events: [b.dtmfReceived('A', '#'), stopped] }, running);
    // A key whose length was not reported counts as the default DTMF length (100 ms).
    await effects.after(
      'C1',
      b.recordDtmf('A', '#'),
      { events: [b.dtmfReceived('A', '#'), stopped] },
      running,
    );
    expect(calls).toEqual([
      ['stopRecorder', 'rec-s1', Stop.RECORDING_STOP_REASON_TERMINATOR, 260],
      ['stopRecorder', 'rec-s1', Stop.RECORDING_STOP_REASON_TERMINATOR, 200],
    ]);
  });

  it('does not tell the recorder what it was asked or said itself', async () => {
    const { calls, effects } = recorded();
    await effects.after('C1', b.stopRecording(R), { events: [b.recordingStopped(R)] }, running);
    const silence = b.recordingStopped(R, Stop.RECORDING_STOP_REASON_SILENCE);
    await effects.after(
      'C1',
      b.recordRecorderStopped(R, Stop.RECORDING_STOP_REASON_SILENCE),
      { events: [silence] },
      running,
    );
    expect(calls).toEqual([]);
  });

  it("tells the recorder even when the command's own after-effect failed, and the failure still reaches the handler", async () => {
    const broken = new PeerError('media-worker', PEER_ERROR_CODES.unavailable, 'down');
    const { calls, effects } = recorded({}, { play: () => Promise.reject(broken) });
    const decision = { events: [b.playbackStarted('A', 'P2'), ended] };
    await expect(effects.after('C1', b.recordPlaybackFinished('P1'), decision, running)).rejects.toBe(broken);
    expect(calls).toEqual([['stopRecorder', R, Stop.RECORDING_STOP_REASON_CALL_ENDED, 0]]);
  });

  it('tries again, then gives up with a warning and without failing the command', async () => {
    let attempts = 0;
    const warnings: unknown[] = [];
    const ports = {
      recorder: {
        stopRecorder: async () => {
          attempts++;
          throw new PeerError('recording', PEER_ERROR_CODES.unavailable, 'down');
        },
      },
      log: { warn: (...args: unknown[]) => void warnings.push(args) },
    } as unknown as EffectPorts;
    const command = b.recordLegEnded('A', b.EndCause.END_CAUSE_REMOTE_HANGUP);
    await expect(
      stopRecordersOf([1, 1])(ports, 'C1', command, { events: [ended] }, running),
    ).resolves.toBeUndefined();
    expect(attempts).toBe(3);
    expect(warnings).toHaveLength(1);
  });

  it('succeeds on a later attempt', async () => {
    let attempts = 0;
    const ports = {
      recorder: {
        stopRecorder: async () => {
          if (++attempts < 2) throw new PeerError('recording', PEER_ERROR_CODES.unavailable, 'down');
        },
      },
    } as unknown as EffectPorts;
    const command = b.recordLegEnded('A', b.EndCause.END_CAUSE_REMOTE_HANGUP);
    await stopRecordersOf([1, 1])(ports, 'C1', command, { events: [ended] }, running);
    expect(attempts).toBe(2);
  });

  it('runs for no command whose decision records nothing (a replay, a duplicate fact)', async () => {
    const { calls, effects } = recorded();
    const command = b.recordLegEnded('A', b.EndCause.END_CAUSE_REMOTE_HANGUP);
    await effects.after('C1', command, { events: [] }, running);
    expect(calls).toEqual([]);
  });
});
