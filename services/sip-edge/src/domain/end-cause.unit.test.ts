import { callEvents } from '@callctl/proto';
import { endCauseOfFinalStatus, platformReason, q850OfEndCause } from './end-cause.js';

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

describe('Q.850 cause of the platform BYE or CANCEL', () => {
  it.each([
    [C.END_CAUSE_LOCAL_HANGUP, 16],
    [C.END_CAUSE_MAX_DURATION, 16],
    [C.END_CAUSE_BRIDGE_PEER_ENDED, 16],
    [C.END_CAUSE_BUSY, 17],
    [C.END_CAUSE_NO_ANSWER, 19],
    [C.END_CAUSE_NOT_REGISTERED, 20],
    [C.END_CAUSE_REJECTED, 21],
    [C.END_CAUSE_UNREACHABLE, 27],
    [C.END_CAUSE_NO_ROUTE, 3],
    [C.END_CAUSE_PLATFORM_FAILURE, 41],
    [C.END_CAUSE_MEDIA_TIMEOUT, 41],
    [C.END_CAUSE_UNSPECIFIED, 31],
  ] as const)('%s → %i', (cause, q850) => {
    expect(q850OfEndCause(cause).cause).toBe(q850);
  });

  it("carries the application's text, else the cause's name", () => {
    expect(platformReason(C.END_CAUSE_LOCAL_HANGUP, 'caller pressed #')).toEqual({
      protocol: 'Q.850',
      cause: 16,
      text: 'caller pressed #',
    });
    expect(platformReason(C.END_CAUSE_NO_ANSWER, '')).toEqual({
      protocol: 'Q.850',
      cause: 19,
      text: 'No answer from user',
    });
  });
});
