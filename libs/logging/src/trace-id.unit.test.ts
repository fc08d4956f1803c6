import { Writable } from 'node:stream';
import { runInTrace } from '@callctl/telemetry/work-trace';
import { createLogger } from './index';

function captured() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, log: createLogger({ service: 'test', destination }) };
}

describe('log lines and traces', () => {
  it('name the trace of the work in hand, and none outside it', () => {
    const { lines, log } = captured();
    log.info('before');
    runInTrace('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', () =>
      log.child({ module: 'x' }).info({ legId: 'l1' }, 'inside'),
    );
    log.info('after');
    expect(lines.map((l) => [l.msg, l.trace_id])).toEqual([
      ['before', undefined],
      ['inside', '0af7651916cd43dd8448eb211c80319c'],
      ['after', undefined],
    ]);
  });
});
