import { startNist, stepNist } from './non-invite-server.js';
import { DEFAULT_TIMERS as T } from './timers.js';

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('absorbs request retransmissions before the TU answered', () => {
    const [trying] = startNist(false);
    expect(stepNist(trying, { type: 'request' }, T)[1]).toEqual([]);
  });

  it('answers a retransmitted request with the last provisional', () => {
    const [trying] = startNist(false);
    const [proceeding] = stepNist(trying, { type: 'tuResponse', status: 180 }, T);
    expect(stepNist(proceeding, { type: 'request' }, T)[1]).toEqual([{ type: 'send' }]);
  });

  it('keeps the final response for 64*T1 over UDP and re-sends it on retransmission', () => {
    const [trying] = startNist(false);
    const [completed, effects] = stepNist(trying, { type: 'tuResponse', status: 200 }, T);
    expect(effects).toEqual([{ type: 'send' }, { type: 'startTimer', timer: 'J', ms: 32_000 }]);
    expect(stepNist(completed, { type: 'request' }, T)[1]).toEqual([{ type: 'send' }]);
    expect(stepNist(completed, { type: 'timer', timer: 'J' }, T)[0]).toEqual({ status: 'terminated' });
  });

  it('ends at once over a reliable transport', () => {
    const [trying] = startNist(true);
    expect(stepNist(trying, { type: 'tuResponse', status: 404 }, T)[1]).toContainEqual({
      type: 'startTimer',
      timer: 'J',
      ms: 0,
    });
  });
});
