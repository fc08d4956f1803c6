import { ManualClock } from './manual-clock.js';
import { guardedClock } from './runtime.js';

describe('guarded clock', () => {
  it('hands a throwing timer callback to onError instead of letting it escape', () => {
    const manual = new ManualClock();
    const errors: unknown[] = [];
    const clock = guardedClock(manual, (err) => errors.push(err));
    const fired: string[] = [];
    clock.after(10, () => {
      throw new Error('boom');
    });
    clock.after(20, () => fired.push('later'));
    expect(() => manual.advance(30)).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(fired).toEqual(['later']);
  });
});
