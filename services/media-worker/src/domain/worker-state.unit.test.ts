import {
  playbackEndsAtMs,
  playbackRemainingMs,
  survivesRestart,
  type PlaybackRecord,
} from './worker-state.js';

const record = (over: Partial<PlaybackRecord> = {}): PlaybackRecord => ({
  sessionId: 'call-1',
  tag: 'leg-a',
  playbackId: 'p-1',
  startedAtMs: 10_000,
  durationMs: 2000,
  repeat: 1,
  ...over,
});

describe('worker state: a recorded playback', () => {
  it('ends after all its passes', () => expect(playbackEndsAtMs(record({ repeat: 3 }))).toBe(16_000));
  it('has the rest of its time left when resumed mid-way', () =>
    expect(playbackRemainingMs(record(), 11_500)).toBe(500));
  it('has nothing left once its end passed', () => expect(playbackRemainingMs(record(), 60_000)).toBe(0));
});

describe('worker state: a record at restart', () => {
  it('survives when rtpengine has the session', () => expect(survivesRestart('present')).toBe(true));
  it('survives when rtpengine could not say', () => expect(survivesRestart('unknown')).toBe(true));
  it('is dropped when rtpengine no longer has the session', () =>
    expect(survivesRestart('gone')).toBe(false));
});
