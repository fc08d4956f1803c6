import { errorKindOf, isCallctlError } from '@callctl/errors';
import pg from 'pg';
import {
  ConcurrencyError,
  isEventLogUnavailable,
  storeError,
  VALIDATION_REASONS,
  ValidationError,
} from './errors';

describe('event store errors', () => {
  it('are typed platform errors whose kind picks the gRPC status at an edge', () => {
    const conflict = new ConcurrencyError('call-c1', 3, 4);
    const refused = new ValidationError(VALIDATION_REASONS.emptyBatch, 'no events to append');
    expect([isCallctlError(conflict), errorKindOf(conflict), conflict.code]).toEqual([
      true,
      'aborted',
      'EVENTSTORE_CONCURRENCY',
    ]);
    expect([isCallctlError(refused), errorKindOf(refused), refused.code]).toEqual([
      true,
      'invalid_argument',
      'EVENTSTORE_VALIDATION',
    ]);
    expect(conflict.context).toEqual({ streamId: 'call-c1' });
    expect(refused.context).toEqual({ reason: 'empty_batch' });
  });
});

describe('storeError', () => {
  const serverError = (code: string) => Object.assign(new pg.DatabaseError('refused', 0, 'error'), { code });

  it('names the event log unavailable for a refused or lost connection', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const mapped = storeError(refused);
    expect(isEventLogUnavailable(mapped)).toBe(true);
    expect([errorKindOf(mapped), (mapped as Error).message, (mapped as Error).cause]).toEqual([
      'unavailable',
      'event log (PostgreSQL) unavailable',
      refused,
    ]);
    expect(isEventLogUnavailable(storeError(new Error('Connection terminated unexpectedly')))).toBe(true);
  });

  it('names it unavailable for a server shutting down, starting or out of connections', () => {
    for (const code of ['57P01', '57P03', '08006', '53300'])
      expect(isEventLogUnavailable(storeError(serverError(code)))).toBe(true);
  });

  it('leaves typed errors and other server errors as they are', () => {
    const conflict = new ConcurrencyError('call-c1', 3, 4);
    const syntax = serverError('42601');
    expect(storeError(conflict)).toBe(conflict);
    expect(storeError(syntax)).toBe(syntax);
  });
});
