import { PauseTimeline } from './pause-timeline.js';

describe('PauseTimeline', () => {
  it('with silence, puts each pause at its frame and keeps its length in the file', () => {
    const timeline = new PauseTimeline('silence', 20);
    expect(timeline.pause(50, 1_000)).toBe(true);
    expect(timeline.pause(60, 1_200)).toBe(false); // already paused
    expect(timeline.paused).toBe(true);
    expect(timeline.resume(100, 2_000)).toBe(true);
    expect(timeline.resume(110, 2_200)).toBe(false);
    timeline.pause(150, 3_000);
    timeline.resume(175, 3_500);
    expect(timeline.pauses()).toEqual([
      { offsetMs: 1000, durationMs: 1000, pausedAtMs: 1_000, resumedAtMs: 2_000 },
      { offsetMs: 3000, durationMs: 500, pausedAtMs: 3_000, resumedAtMs: 3_500 },
    ]);
  });

  it('with cut, moves each pause back by the pauses before it (where the audio around it meets)', () => {
    const timeline = new PauseTimeline('cut', 20);
    timeline.pause(50, 1_000);
    timeline.resume(100, 2_000);
    timeline.pause(150, 3_000);
    timeline.resume(175, 3_500);
    expect(timeline.pauses().map((p) => [p.offsetMs, p.durationMs])).toEqual([
      [1000, 1000],
      [2000, 500],
    ]);
  });

  it('says which frames are paused, the resume frame being recorded again', () => {
    const timeline = new PauseTimeline('silence', 20);
    timeline.pause(2, 0);
    timeline.resume(4, 0);
    timeline.pause(6, 0);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 1000].map((f) => timeline.isPaused(f))).toEqual([
      false,
      false,
      true,
      true,
      false,
      false,
      true,
      true,
      true,
    ]);
  });

  it('lists an open pause with 0 ms, or up to the end of the part once it ended', () => {
    const timeline = new PauseTimeline('silence', 20);
    timeline.pause(0, 500);
    expect(timeline.pauses()).toEqual([{ offsetMs: 0, durationMs: 0, pausedAtMs: 500 }]);
    expect(timeline.pauses(30)).toEqual([{ offsetMs: 0, durationMs: 600, pausedAtMs: 500 }]);
  });

  it('never lets a pause start before the previous one ended', () => {
    const timeline = new PauseTimeline('cut', 20);
    timeline.pause(10, 0);
    timeline.resume(20, 0);
    timeline.pause(15, 0);
    timeline.resume(15, 0);
    expect(timeline.pauses().map((p) => [p.offsetMs, p.durationMs])).toEqual([
      [200, 200],
      [200, 0],
    ]);
  });
});
