import { Writable } from 'node:stream';
import { Metadata, status } from '@grpc/grpc-js';
import { CallctlError, ERROR_KINDS } from '@callctl/errors';
import { INTERNAL_MESSAGE } from '@callctl/errors/grpc';
import { createLogger } from '@callctl/logging';
import { workTraceparent } from '@callctl/telemetry/work-trace';
import { StatusRefusal, unaryHandler } from './grpc-unary';

class NoLeg extends CallctlError {
  readonly kind = ERROR_KINDS.notFound;
  readonly code = 'NO_LEG';
}

describe('unaryHandler', () => {
  const invoke = <Res>(run: (request: string) => Promise<Res>, metadata = new Metadata()) => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const log = createLogger({ service: 'unary-test', destination });
    const call = { request: 'req', metadata, getPath: () => '/test.v1.Test/Echo' };
    return new Promise<{ error: unknown; response: unknown; lines: typeof lines }>((resolve) =>
      unaryHandler(log)(run)(call as never, (error, response) =>
        setImmediate(() => resolve({ error, response, lines })),
      ),
    );
  };

  it("runs the handler under the caller's trace", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const metadata = new Metadata();
    metadata.set('traceparent', traceparent);
    const { response } = await invoke(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { trace: workTraceparent() };
    }, metadata);
    expect(response).toEqual({ trace: traceparent });
    const untraced = await invoke(async () => ({ trace: workTraceparent() }));
    expect(untraced.response).toEqual({ trace: undefined });
  });

  it('replies with the result', async () => {
    const { error, response } = await invoke(async (request) => ({ echoed: request }));
    expect(error).toBeNull();
    expect(response).toEqual({ echoed: 'req' });
  });

  it('maps a rejection through the status table', async () => {
    const { error, lines } = await invoke(() => Promise.reject(new NoLeg('no leg L1')));
    expect(error).toMatchObject({ code: status.NOT_FOUND, details: 'no leg L1' });
    expect(lines).toEqual([]);
  });

  it('answers a StatusRefusal with its own status and message, unlogged', async () => {
    const { error, lines } = await invoke(() =>
      Promise.reject(new StatusRefusal(status.RESOURCE_EXHAUSTED, 'CALLBACK_MAX_ACTIVE (2) reached')),
    );
    expect(error).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details: 'CALLBACK_MAX_ACTIVE (2) reached',
    });
    expect(lines).toEqual([]);
  });

  it('maps a synchronous throw as INTERNAL and logs it with the RPC', async () => {
    const { error, lines } = await invoke(() => {
      throw new TypeError('boom');
    });
    expect(error).toMatchObject({ code: status.INTERNAL, details: INTERNAL_MESSAGE });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ rpc: '/test.v1.Test/Echo', msg: 'unexpected error in gRPC handler' });
  });
});
