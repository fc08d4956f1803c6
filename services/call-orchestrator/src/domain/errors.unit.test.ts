import {
  ConcurrencyError,
  IdempotencyConflictError,
  IllegalStateError,
  NotFoundError,
  ValidationError,
} from './errors';

describe('domain errors', () => {
  it.each([
    [new ValidationError('m'), 'ValidationError', 'VALIDATION'],
    [new IllegalStateError('m'), 'IllegalStateError', 'ILLEGAL_STATE'],
    [new NotFoundError('m'), 'NotFoundError', 'NOT_FOUND'],
    [new IdempotencyConflictError('m'), 'IdempotencyConflictError', 'IDEMPOTENCY_CONFLICT'],
    [new ConcurrencyError(3, 4), 'ConcurrencyError', 'CONCURRENCY'],
  ])('%s has a stable name and code', (error, name, code) => {
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error).toBeInstanceOf(Error);
  });
  it('keeps the cause and the call and leg ids', () => {
    const cause = new Error('low level');
    const error = new IllegalStateError('leg L1 is ringing', { callId: 'C1', legId: 'L1' }, { cause });
    expect(error.cause).toBe(cause);
    expect(error.context).toEqual({ callId: 'C1', legId: 'L1' });
  });
  it('carries the expected and actual versions of a conflict', () => {
    const error = new ConcurrencyError(3n, 5n, { callId: 'C1' });
    expect([error.expected, error.actual]).toEqual([3n, 5n]);
    expect(error.message).toContain('expected stream version 3 but found 5');
  });
});
