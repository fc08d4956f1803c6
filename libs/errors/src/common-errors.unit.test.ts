import { errorKindOf, isCallctlError } from './callctl-error';
import {
  IllegalStateError,
  NotFoundError,
  TimeoutError,
  UnavailableError,
  ValidationError,
} from './common-errors';

describe('the shared error vocabulary', () => {
  it.each([
    [ValidationError, 'ValidationError', 'VALIDATION', 'invalid_argument'],
    [NotFoundError, 'NotFoundError', 'NOT_FOUND', 'not_found'],
    [IllegalStateError, 'IllegalStateError', 'ILLEGAL_STATE', 'failed_precondition'],
    [UnavailableError, 'UnavailableError', 'UNAVAILABLE', 'unavailable'],
    [TimeoutError, 'TimeoutError', 'TIMEOUT', 'deadline_exceeded'],
  ] as const)('%p has its name, code and kind, and keeps context and cause', (Class, name, code, kind) => {
    const cause = new Error('lower layer');
    const error = new Class('what happened', { callId: 'c1' }, { cause });
    expect(error).toMatchObject({ name, code, kind, message: 'what happened', context: { callId: 'c1' } });
    expect(error.cause).toBe(cause);
    expect(isCallctlError(error)).toBe(true);
    expect(errorKindOf(error)).toBe(kind);
  });

  it("lets a service bind its context and rename an error of its own, with the shared error's kind", () => {
    class LegNotFoundError extends NotFoundError<{ legId?: string }> {
      override readonly name = 'LegNotFoundError';
      override readonly code = 'LEG_NOT_FOUND';
    }
    const error = new LegNotFoundError('no leg L1', { legId: 'L1' });
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ name: 'LegNotFoundError', code: 'LEG_NOT_FOUND', kind: 'not_found' });
  });
});
