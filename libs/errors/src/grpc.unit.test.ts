import { status } from '@grpc/grpc-js';
import { CallctlError, ERROR_KINDS, type ErrorKind } from './callctl-error';
import { GRPC_STATUS_BY_KIND, INTERNAL_MESSAGE, toServiceError, unaryHandler, type ErrorLog } from './grpc';

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

describe('unaryHandler', () => {
  const invoke = <Res>(run: (request: string) => Promise<Res>) => {
    const log = recordingLog();
    return new Promise<{ error: unknown; response: unknown; log: typeof log }>((resolve) =>
      unaryHandler(log)(run)({ request: 'req' } as never, (error, response) =>
        resolve({ error, response, log }),
      ),
    );
  };

  it('replies with the result', async () => {
    const { error, response } = await invoke(async (request) => ({ echoed: request }));
    expect(error).toBeNull();
    expect(response).toEqual({ echoed: 'req' });
  });

  it('maps a rejection through the status table', async () => {
    const { error } = await invoke(() => Promise.reject(typedError('not_found', 'no leg L1')));
    expect(error).toMatchObject({ code: status.NOT_FOUND, details: 'no leg L1' });
  });

  it('maps a synchronous throw as INTERNAL and logs it', async () => {
    const { error, log } = await invoke(() => {
      throw new TypeError('boom');
    });
    expect(error).toMatchObject({ code: status.INTERNAL, details: INTERNAL_MESSAGE });
    expect(log.entries).toHaveLength(1);
  });
});
