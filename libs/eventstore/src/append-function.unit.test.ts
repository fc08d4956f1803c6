import pg from 'pg';
import { APPEND_SQLSTATE, appendError } from './append-function';
import { isConcurrencyError, isValidationError, VALIDATION_REASONS } from './errors';

function databaseError(code: string, detail?: string): pg.DatabaseError {
  const error = new pg.DatabaseError('raised by event_log_append', 0, 'error');
  error.code = code;
  error.detail = detail;
  return error;
}

describe('appendError', () => {
  it('turns CC001 into a ConcurrencyError carrying the actual version from DETAIL', () => {
    const cause = databaseError(APPEND_SQLSTATE.concurrency, '41');
    const error = appendError(cause, 'call-c1', 40);
    expect(isConcurrencyError(error)).toBe(true);
    expect(error).toMatchObject({ streamId: 'call-c1', expected: 40, actual: 41, cause });
  });

  it('turns CC002 into an event_id_reused ValidationError', () => {
    const error = appendError(databaseError(APPEND_SQLSTATE.eventIdReused, 'x'), 'call-c1', 'any');
    expect(isValidationError(error)).toBe(true);
    expect(error).toMatchObject({ reason: VALIDATION_REASONS.eventIdReused });
  });

  it.each([
    ['another SQLSTATE (unique violation)', databaseError('23505')],
    ['a connection error', Object.assign(new Error('Connection terminated'), { code: 'CC001' })],
  ])('returns %s unchanged', (_label, original) => {
    expect(appendError(original, 'call-c1', 1)).toBe(original);
  });
});
