import { headers } from '@nats-io/nats-core';
import { runInTrace } from '@callctl/telemetry';
import { traceparentOf, tracedHeaders } from './trace-headers';

const WORK = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('trace headers', () => {
  it('carry the trace of the work in hand when no span is active', () => {
    const h = runInTrace(WORK, () => tracedHeaders());
    expect(traceparentOf(h)).toBe(WORK);
  });

  it('carry no trace outside any work', () => {
    expect(traceparentOf(tracedHeaders())).toBeUndefined();
  });

  it('keep a traceparent the caller set', () => {
    const mine = headers();
    mine.set('traceparent', '00-11111111111111111111111111111111-2222222222222222-01');
    const h = runInTrace(WORK, () => tracedHeaders(mine));
    expect(traceparentOf(h)).toBe('00-11111111111111111111111111111111-2222222222222222-01');
  });
});
