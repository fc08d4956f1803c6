import { errorKindOf, isCallctlError } from '@callctl/errors';
import { ConcurrencyError, VALIDATION_REASONS, ValidationError } from './errors';

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
