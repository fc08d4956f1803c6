import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { runInTrace } from '@callctl/telemetry/work-trace';
import { callPeer, peerErrorKind, type PeerFailure, type Unary } from './peer-call';

describe('peerErrorKind', () => {
  it.each([
    [status.INVALID_ARGUMENT, 'invalid_argument'],
    [status.NOT_FOUND, 'not_found'],
    [status.FAILED_PRECONDITION, 'failed_precondition'],
    [status.DEADLINE_EXCEEDED, 'deadline_exceeded'],
    [status.UNAVAILABLE, 'unavailable'],
    [status.INTERNAL, 'unavailable'],
    [status.UNKNOWN, 'unavailable'],
    [status.ABORTED, 'unavailable'],
    [status.ALREADY_EXISTS, 'unavailable'],
    [status.UNIMPLEMENTED, 'unavailable'],
    [status.RESOURCE_EXHAUSTED, 'unavailable'],
  ] as const)("reads a peer's status %s as %s", (code, kind) => {
    expect(peerErrorKind(code)).toBe(kind);
  });
});

describe('callPeer', () => {
  const failure = (code: status, details: string): ServiceError =>
    Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });

  it('sends a deadline and the metadata, and resolves with the reply', async () => {
    const seen: Array<{ deadline: unknown; trace: unknown }> = [];
    const method: Unary<string, string> = (request, metadata, options, callback) => {
      seen.push({ deadline: options.deadline, trace: metadata.get('traceparent')[0] });
      callback(null, `${request}!`);
    };
    const metadata = new Metadata();
    metadata.set('traceparent', '00-abc-def-01');
    const before = Date.now();
    await expect(
      callPeer(method, 'hi', { timeoutMs: 500, metadata, toError: () => new Error() }),
    ).resolves.toBe('hi!');
    expect(seen[0]?.trace).toBe('00-abc-def-01');
    expect(seen[0]?.deadline).toBeGreaterThanOrEqual(before + 500);
  });

  it('sends the trace of the work in hand when the caller gives no metadata', async () => {
    const traces: unknown[] = [];
    const method: Unary<string, string> = (request, metadata, _options, callback) => {
      traces.push(metadata.get('traceparent')[0]);
      callback(null, request);
    };
    const work = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const options = { timeoutMs: 500, toError: () => new Error() };
    await runInTrace(work, () => callPeer(method, 'in work', options));
    await callPeer(method, 'outside', options);
    expect(traces).toEqual([work, undefined]);
  });

  it("rejects with the caller's error, built from the kind, the details and the cause", async () => {
    const cause = failure(status.NOT_FOUND, 'no leg L1');
    const method: Unary<string, string> = (_r, _m, _o, callback) => callback(cause, '');
    const failures: PeerFailure[] = [];
    const rejected = callPeer(method, 'x', {
      timeoutMs: 100,
      toError: (f) => {
        failures.push(f);
        return new Error(`peer: ${f.details}`);
      },
    });
    await expect(rejected).rejects.toThrow('peer: no leg L1');
    expect(failures).toEqual([{ kind: 'not_found', details: 'no leg L1', cause }]);
  });
});
