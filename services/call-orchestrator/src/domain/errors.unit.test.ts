import {
  ConcurrencyError,
  IdempotencyConflictError,
  IllegalStateError,
  NotFoundError,
  ValidationError,
} from './errors';
import { isCallctlError } from '@callctl/errors';

describe('domain errors', () => {
  it.each([
    [new ValidationError('m'), 'ValidationError', 'VALIDATION', 'invalid_argument'],
    [new IllegalStateError('m'), 'IllegalStateError', 'ILLEGAL_STATE', 'failed_precondition'],
    [new NotFoundError('m'), 'NotFoundError', 'NOT_FOUND', 'not_found'],
    [new IdempotencyConflictError('m'), 'IdempotencyConflictError', 'IDEMPOTENCY_CONFLICT', 'already_exists'],
    [new ConcurrencyError(3, 4), 'ConcurrencyError', 'CONCURRENCY', 'aborted'],
  ])('%s has a stable name, code and kind', (error, name, code, kind) => {
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.kind).toBe(kind);
    expect(error).toBeInstanceOf(Error);
    expect(isCallctlError(error)).toBe(true);
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
