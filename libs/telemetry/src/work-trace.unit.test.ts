import { runInTrace, traceIdOf, workTraceparent } from './work-trace';

const A = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const B = '00-11111111111111111111111111111111-2222222222222222-01';

describe('work trace', () => {
  it('is the traceparent of the innermost scope, across awaits and timers', async () => {
    expect(workTraceparent()).toBeUndefined();
    await runInTrace(A, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      expect(workTraceparent()).toBe(A);
      await runInTrace(B, async () => {
        await Promise.resolve();
        expect(workTraceparent()).toBe(B);
      });
      expect(workTraceparent()).toBe(A);
    });
    expect(workTraceparent()).toBeUndefined();
  });

  it('ignores what is not a traceparent, keeping the scope it is in', () => {
    runInTrace(A, () => {
      runInTrace('not-a-trace', () => expect(workTraceparent()).toBe(A));
      runInTrace(undefined, () => expect(workTraceparent()).toBe(A));
    });
  });

  it('reads the trace id of a traceparent', () => {
    expect(traceIdOf(A)).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(traceIdOf('00-xyz')).toBeUndefined();
    expect(traceIdOf(undefined)).toBeUndefined();
  });
});
