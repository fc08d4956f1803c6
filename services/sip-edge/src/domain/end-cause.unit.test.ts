import { callEvents } from '@callctl/proto';
import { endCauseOfFinalStatus } from './end-cause.js';

const C = callEvents.EndCause;

describe('end cause of an outbound leg that failed', () => {
  it.each([
    [486, undefined, C.END_CAUSE_BUSY],
    [600, undefined, C.END_CAUSE_BUSY],
    [603, undefined, C.END_CAUSE_REJECTED],
    [606, undefined, C.END_CAUSE_REJECTED],
    [404, undefined, C.END_CAUSE_UNREACHABLE],
    [408, undefined, C.END_CAUSE_UNREACHABLE],
    [480, undefined, C.END_CAUSE_UNREACHABLE],
    [503, undefined, C.END_CAUSE_UNREACHABLE],
    [487, 'ring-timeout', C.END_CAUSE_NO_ANSWER],
    [487, 'hangup', C.END_CAUSE_LOCAL_HANGUP],
    [487, undefined, C.END_CAUSE_UNREACHABLE],
  ] as const)('%i (our CANCEL: %s) → %s', (status, cancelled, cause) => {
    expect(endCauseOfFinalStatus(status, cancelled)).toBe(cause);
  });

  it('keeps busy when a 486 crosses our ring-timeout CANCEL', () => {
    expect(endCauseOfFinalStatus(486, 'ring-timeout')).toBe(C.END_CAUSE_BUSY);
  });
});
