import { startIst, stepIst, type IstState } from './invite-server.js';
import { DEFAULT_TIMERS as T } from './timers.js';

const run = (state: IstState, ...events: Parameters<typeof stepIst>[1][]) =>
  events.reduce<[IstState, ReturnType<typeof stepIst>[1]]>(([s], e) => stepIst(s, e, T), [state, []]);

describe('INVITE server transaction (RFC 3261 §17.2.1)', () => {
  it('re-sends the last provisional when the INVITE is retransmitted', () => {
    const [state] = startIst(false);
    expect(run(state, { type: 'tuResponse', status: 180 }, { type: 'request' })[1]).toEqual([
      { type: 'send' },
    ]);
  });

  it('hands a 2xx over and terminates at once', () => {
    const [state] = startIst(false);
    expect(run(state, { type: 'tuResponse', status: 200 })[0]).toEqual({ status: 'terminated' });
  });

  it('retransmits a non-2xx final on timer G with doubling intervals capped at T2', () => {
    const [start] = startIst(false);
    let [state] = run(start, { type: 'tuResponse', status: 486 });
    const intervals: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, effects] = stepIst(state, { type: 'timer', timer: 'G' }, T);
      state = next;
      const timer = effects.find((e) => e.type === 'startTimer');
      intervals.push(timer && timer.type === 'startTimer' ? timer.ms : -1);
    }
    expect(intervals).toEqual([1000, 2000, 4000, 4000]);
  });

  it('arms no timer G over a reliable transport', () => {
    const [start] = startIst(true);
    const [, effects] = run(start, { type: 'tuResponse', status: 486 });
    expect(effects.some((e) => e.type === 'startTimer' && e.timer === 'G')).toBe(false);
  });

  it('absorbs the ACK for a non-2xx and then its retransmissions until timer I', () => {
    const [start] = startIst(false);
    const [confirmed, effects] = run(start, { type: 'tuResponse', status: 486 }, { type: 'ack' });
    expect(confirmed).toEqual({ status: 'confirmed' });
    expect(effects).toContainEqual({ type: 'startTimer', timer: 'I', ms: 5000 });
    expect(stepIst(confirmed, { type: 'ack' }, T)[1]).toEqual([]);
    expect(stepIst(confirmed, { type: 'timer', timer: 'I' }, T)[0]).toEqual({ status: 'terminated' });
  });

  it('gives up with a timeout when no ACK arrives before timer H', () => {
    const [start] = startIst(false);
    const [state, effects] = run(start, { type: 'tuResponse', status: 486 }, { type: 'timer', timer: 'H' });
    expect(state).toEqual({ status: 'terminated' });
    expect(effects).toContainEqual({ type: 'timeout' });
  });
});
