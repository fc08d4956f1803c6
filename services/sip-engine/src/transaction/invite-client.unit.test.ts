import { startIct, stepIct, type IctState } from './invite-client.js';
import { DEFAULT_TIMERS as T } from './timers.js';

describe('INVITE client transaction (RFC 3261 §17.1.1)', () => {
  it('retransmits on timer A with doubling intervals while calling over UDP', () => {
    let [state] = startIct(T, false);
    const intervals: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [next, effects] = stepIct(state, { type: 'timer', timer: 'A' }, T);
      state = next;
      const timer = effects.find((e) => e.type === 'startTimer');
      intervals.push(timer && timer.type === 'startTimer' ? timer.ms : -1);
    }
    expect(intervals).toEqual([1000, 2000, 4000]);
  });

  it('stops retransmitting after a provisional', () => {
    const [calling] = startIct(T, false);
    const [proceeding] = stepIct(calling, { type: 'response', status: 180 }, T);
    expect(stepIct(proceeding, { type: 'timer', timer: 'A' }, T)[1]).toEqual([]);
  });

  it('ACKs a non-2xx final itself, delivers it once and re-ACKs retransmissions', () => {
    const [calling] = startIct(T, false);
    const [completed, effects] = stepIct(calling, { type: 'response', status: 486 }, T);
    expect(effects).toContainEqual({ type: 'ack' });
    expect(effects).toContainEqual({ type: 'deliver' });
    expect(stepIct(completed, { type: 'response', status: 486 }, T)[1]).toEqual([{ type: 'ack' }]);
  });

  it('never ACKs a 2xx (the dialog does)', () => {
    const [calling] = startIct(T, false);
    const [state, effects] = stepIct(calling, { type: 'response', status: 200 }, T);
    expect(state).toEqual<IctState>({ status: 'terminated' });
    expect(effects).not.toContainEqual({ type: 'ack' });
  });

  it('times out on timer B without a response', () => {
    const [calling] = startIct(T, true);
    expect(stepIct(calling, { type: 'timer', timer: 'B' }, T)[1]).toContainEqual({ type: 'timeout' });
  });
});
