import { status } from '@grpc/grpc-js';
import { CallctlError, ERROR_KINDS, type ErrorKind } from './callctl-error';
import {
  errorKindOfStatus,
  GRPC_STATUS_BY_KIND,
  GrpcStatusError,
  INTERNAL_MESSAGE,
  KIND_BY_GRPC_STATUS,
  toServiceError,
  type ErrorLog,
} from './grpc';

function typedError(kind: ErrorKind, message: string): CallctlError {
  return new (class extends CallctlError {
    readonly kind = kind;
    readonly code = `TEST_${kind.toUpperCase()}`;
  })(message, { callId: 'C1' });
}

function recordingLog(): ErrorLog & { entries: { fields: object; message: string }[] } {
  const entries: { fields: object; message: string }[] = [];
  return { entries, error: (fields, message) => entries.push({ fields, message }) };
}

describe('toServiceError', () => {
  it.each([
    ['invalid_argument', status.INVALID_ARGUMENT],
    ['not_found', status.NOT_FOUND],
    ['failed_precondition', status.FAILED_PRECONDITION],
    ['already_exists', status.ALREADY_EXISTS],
    ['aborted', status.ABORTED],
    ['unavailable', status.UNAVAILABLE],
    ['deadline_exceeded', status.DEADLINE_EXCEEDED],
    ['unimplemented', status.UNIMPLEMENTED],
  ] as const)('maps kind %s to its status and keeps the message for the caller', (kind, code) => {
    const log = recordingLog();
    const error = typedError(kind, `why it failed (${kind})`);
    expect(toServiceError(error, log)).toMatchObject({
      code,
      details: error.message,
      message: error.message,
    });
    expect(log.entries).toEqual([]);
  });

  it('has a status for every kind', () => {
    expect(Object.keys(GRPC_STATUS_BY_KIND).sort()).toEqual(Object.values(ERROR_KINDS).sort());
  });

  it('hides an internal typed error behind a generic message and logs its code and context', () => {
    const log = recordingLog();
    const error = typedError('internal', 'invariant broken: leg L9 has two dialogs');
    expect(toServiceError(error, log)).toMatchObject({ code: status.INTERNAL, details: INTERNAL_MESSAGE });
    expect(log.entries).toEqual([
      {
        fields: { err: error, code: 'TEST_INTERNAL', context: { callId: 'C1' } },
        message: 'unexpected error in gRPC handler',
      },
    ]);
  });

  it('hides an untyped error, even one carrying a string code, and logs it', () => {
    const log = recordingLog();
    const error = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'NOT_FOUND' });
    const mapped = toServiceError(error, log);
    expect(mapped).toMatchObject({
      code: status.INTERNAL,
      details: INTERNAL_MESSAGE,
      message: INTERNAL_MESSAGE,
    });
    expect(JSON.stringify(mapped)).not.toContain('10.0.0.1');
    expect(log.entries).toHaveLength(1);
    expect(log.entries[0]?.fields).toEqual({ err: error });
  });
});

describe('errorKindOfStatus', () => {
  it.each([
    [status.INVALID_ARGUMENT, 'invalid_argument'],
    [status.OUT_OF_RANGE, 'invalid_argument'],
    [status.NOT_FOUND, 'not_found'],
    [status.FAILED_PRECONDITION, 'failed_precondition'],
    [status.PERMISSION_DENIED, 'failed_precondition'],
    [status.UNAUTHENTICATED, 'failed_precondition'],
    [status.ALREADY_EXISTS, 'already_exists'],
    [status.ABORTED, 'aborted'],
    [status.UNAVAILABLE, 'unavailable'],
    [status.CANCELLED, 'unavailable'],
    [status.RESOURCE_EXHAUSTED, 'unavailable'],
    [status.DEADLINE_EXCEEDED, 'deadline_exceeded'],
    [status.UNIMPLEMENTED, 'unimplemented'],
    [status.INTERNAL, 'internal'],
    [status.UNKNOWN, 'internal'],
    [status.DATA_LOSS, 'internal'],
    [status.OK, 'internal'],
    [99, 'internal'],
  ] as const)('reads status %s as kind %s', (code, kind) => {
    expect(errorKindOfStatus(code)).toBe(kind);
  });

  it('has a kind for every status', () => {
    const statuses = Object.values(status).filter((v) => typeof v === 'number');
    expect(Object.keys(KIND_BY_GRPC_STATUS).map(Number).sort()).toEqual(statuses.sort());
  });

  it('gives back the kind of every status a server answers', () => {
    for (const [kind, code] of Object.entries(GRPC_STATUS_BY_KIND))
      expect(errorKindOfStatus(code)).toBe(kind);
  });
});

describe('GrpcStatusError', () => {
  it('carries the kind, the status by name and number, the details and the received error', () => {
    const received = Object.assign(new Error('5 NOT_FOUND: no call c9'), {
      code: status.NOT_FOUND,
      details: 'no call c9',
    });
    const error = new GrpcStatusError(received, { rpc: 'GetCall' });
    expect(error).toMatchObject({
      kind: 'not_found',
      code: 'NOT_FOUND',
      status: status.NOT_FOUND,
      details: 'no call c9',
      message: 'no call c9',
      context: { rpc: 'GetCall' },
    });
    expect(error.cause).toBe(received);
  });

  it('goes back out with the status it came in with', () => {
    const error = new GrpcStatusError({ code: status.FAILED_PRECONDITION, details: 'leg answered' });
    expect(toServiceError(error, recordingLog())).toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: 'leg answered',
    });
  });
});
