import { startNict, stepNict, type NictState } from './non-invite-client.js';
import { DEFAULT_TIMERS as T } from './timers.js';

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('sends and arms timers E and F over UDP, only F over TCP', () => {
    expect(startNict(T, false)[1]).toEqual([
      { type: 'send' },
      { type: 'startTimer', timer: 'F', ms: 32_000 },
      { type: 'startTimer', timer: 'E', ms: 500 },
    ]);
    expect(startNict(T, true)[1].some((e) => e.type === 'startTimer' && e.timer === 'E')).toBe(false);
  });

  it('retransmits with doubling intervals capped at T2 while trying', () => {
    let [state] = startNict(T, false);
    const intervals: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [next, effects] = stepNict(state, { type: 'timer', timer: 'E' }, T);
      state = next;
      const start = effects.find((e) => e.type === 'startTimer');
      intervals.push(start && start.type === 'startTimer' ? start.ms : -1);
    }
    expect(intervals).toEqual([1000, 2000, 4000, 4000, 4000]);
  });

  it('retransmits every T2 once a provisional response arrived', () => {
    const [trying] = startNict(T, false);
    const [proceeding, delivered] = stepNict(trying, { type: 'response', status: 100 }, T);
    expect(delivered).toEqual([{ type: 'deliver' }]);
    const [, effects] = stepNict(proceeding, { type: 'timer', timer: 'E' }, T);
    expect(effects).toContainEqual({ type: 'startTimer', timer: 'E', ms: 4000 });
  });

  it('delivers the final response once and absorbs its retransmissions for T4', () => {
    const [trying] = startNict(T, false);
    const [completed, effects] = stepNict(trying, { type: 'response', status: 200 }, T);
    expect(effects).toContainEqual({ type: 'deliver' });
    expect(effects).toContainEqual({ type: 'startTimer', timer: 'K', ms: 5000 });
    expect(stepNict(completed, { type: 'response', status: 200 }, T)[1]).toEqual([]);
    expect(stepNict(completed, { type: 'timer', timer: 'K' }, T)[0]).toEqual({ status: 'terminated' });
  });

  it('reports a timeout when timer F fires before a final response', () => {
    const [trying] = startNict(T, false);
    const [state, effects] = stepNict(trying, { type: 'timer', timer: 'F' }, T);
    expect(state).toEqual<NictState>({ status: 'terminated' });
    expect(effects).toContainEqual({ type: 'timeout' });
  });
});
