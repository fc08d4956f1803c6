import fc from 'fast-check';
import { AdaptivePlayout, isQuiet, squeezeFrameInto } from './adaptive-playout.js';

const FRAME = 160;

function playout(): AdaptivePlayout {
  return new AdaptivePlayout({ frameSamples: FRAME, maxTargetFrames: 2 });
}

describe('AdaptivePlayout', () => {
  it('starts at one frame, grows a frame per underrun up to the most, and decays after 5 s without one', () => {
    const p = playout();
    expect(p.targetSamples).toBe(FRAME);
    p.underrun();
    p.underrun();
    p.underrun();
    expect(p.targetFrames).toBe(2);
    expect(p.underruns).toBe(3);
    for (let t = 0; t < 249; t++) p.tick(2 * FRAME);
    expect(p.targetFrames).toBe(2);
    p.tick(2 * FRAME);
    expect(p.targetFrames).toBe(1);
  });

  it('asks to shed the whole frames held above the target at every tick of a second', () => {
    const p = playout();
    const actions = [];
    for (let t = 0; t < 50; t++) actions.push(p.tick(t === 20 ? 3 * FRAME + 5 : 4 * FRAME));
    expect(actions.slice(0, 49).every((a) => a === 'play')).toBe(true);
    expect(actions[49]).toBe('shed');
    expect(p.shedSamples).toBe(2 * FRAME);
  });

  it('does not shed what a tick of the window needed', () => {
    const p = playout();
    for (let t = 0; t < 50; t++) expect(p.tick(t === 30 ? FRAME + 159 : 3 * FRAME)).toBe('play');
  });

  it('cuts a backlog above 10 frames at once', () => {
    expect(playout().tick(10 * FRAME + 1)).toBe('cut');
    expect(playout().tick(10 * FRAME)).toBe('play');
  });

  it('squeezes a frame and a step into a frame, first and last samples kept, a line stays a line', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: -50, max: 50 }), (step, slope) => {
        const out = new Int16Array(FRAME);
        squeezeFrameInto(out, step, (i) => i * slope);
        expect(out[0]).toBe(0);
        expect(out[FRAME - 1]).toBe((FRAME + step - 1) * slope);
        for (let i = 1; i < FRAME; i++)
          expect(
            Math.abs(out[i]! - out[i - 1]! - (slope * (FRAME + step - 1)) / (FRAME - 1)),
          ).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('calls a stretch quiet only when every sample stays within about -40 dBFS', () => {
    expect(isQuiet(FRAME, () => 328)).toBe(true);
    expect(isQuiet(FRAME, (i) => (i === 80 ? -329 : 0))).toBe(false);
  });
});
