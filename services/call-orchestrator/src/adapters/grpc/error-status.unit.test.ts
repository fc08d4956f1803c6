// The errors the orchestrator throws carry the kind that gives the status the proto promises for them
// (the kind -> status table itself is @callctl/errors/grpc's, tested there).
import { status } from '@grpc/grpc-js';
import { toServiceError } from '@callctl/errors/grpc';
import {
  ConcurrencyError as StoreConcurrencyError,
  EventLogUnavailableError,
  ValidationError as StoreValidationError,
} from '@callctl/eventstore';
import { createLogger } from '@callctl/logging';
import { ActionNotRecordedError, PeerError } from '../../app/errors.js';
import {
  ConcurrencyError,
  IdempotencyConflictError,
  IllegalStateError,
  NotFoundError,
  ValidationError,
} from '../../domain/errors.js';

const log = createLogger({ service: 'status-test', level: 'silent' });

describe('gRPC status of the orchestrator errors', () => {
  it.each([
    [new ValidationError('to_uri is not a valid SIP URI'), status.INVALID_ARGUMENT],
    [new StoreValidationError('payload_too_large', 'payload too large'), status.INVALID_ARGUMENT],
    [new NotFoundError('leg L does not exist in call C'), status.NOT_FOUND],
    [
      new IllegalStateError('leg L is ringing; only an answered leg can play media'),
      status.FAILED_PRECONDITION,
    ],
    [
      new IdempotencyConflictError('idempotency key k was used for a different request'),
      status.ALREADY_EXISTS,
    ],
    [new ConcurrencyError(3, 4), status.ABORTED],
    [new StoreConcurrencyError('call-C', 3, 4), status.ABORTED],
    [new PeerError('sip-edge', 'TIMEOUT', 'no answer in 5000 ms'), status.DEADLINE_EXCEEDED],
    [new PeerError('media-worker', 'UNAVAILABLE', 'connection refused'), status.UNAVAILABLE],
    [new PeerError('media-worker', 'NOT_FOUND', 'media file not found: /x.wav'), status.NOT_FOUND],
    [new PeerError('sip-edge', 'ILLEGAL_STATE', 'leg is answered'), status.FAILED_PRECONDITION],
    [new PeerError('sip-edge', 'VALIDATION', 'bad URI'), status.INVALID_ARGUMENT],
    [new EventLogUnavailableError({ cause: new Error('ECONNREFUSED') }), status.UNAVAILABLE],
    [new ActionNotRecordedError('C', 'Hangup'), status.UNAVAILABLE],
  ])('maps %s and keeps its message', (error, code) => {
    expect(toServiceError(error, log)).toMatchObject({ code, details: error.message });
  });

  it('names the dependency that is unavailable', () => {
    expect(
      [
        new EventLogUnavailableError(),
        new PeerError('sip-edge', 'UNAVAILABLE', 'No connection established'),
        new ActionNotRecordedError('C', 'Hangup'),
      ].map((e) => toServiceError(e, log).details),
    ).toEqual([
      'event log (PostgreSQL) unavailable',
      'sip-edge unavailable: No connection established',
      expect.stringMatching(/^event log \(PostgreSQL\) unavailable: Hangup was done and will be recorded/),
    ]);
  });

  it('hides an unexpected error behind INTERNAL', () => {
    expect(toServiceError(new Error('password=hunter2 in a stack'), log)).toMatchObject({
      code: status.INTERNAL,
      details: 'internal error',
    });
  });
});
