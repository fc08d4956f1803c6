import { parseDtmfLog } from './dtmf-log.js';

const report = (fields: Record<string, unknown>) =>
  JSON.stringify({
    callid: 'c1',
    source_tag: 'caller',
    tags: ['caller', 'local'],
    type: 'DTMF',
    duration: 160,
    volume: 10,
    ...fields,
  });

describe('rtpengine DTMF log parsing', () => {
  it.each([
    [0, '0'],
    [9, '9'],
    [10, '*'],
    [11, '#'],
    [12, 'A'],
    [15, 'D'],
  ])('maps event %i to digit %s', (event, digit) => {
    expect(parseDtmfLog(report({ event }))).toEqual({
      sessionId: 'c1',
      tag: 'caller',
      digit,
      durationMs: 160,
    });
  });

  it('ignores events outside 0-15, other types and non-JSON', () => {
    expect(parseDtmfLog(report({ event: 16 }))).toBeUndefined();
    expect(parseDtmfLog(report({ event: 1, type: 'other' }))).toBeUndefined();
    expect(parseDtmfLog('not json')).toBeUndefined();
    expect(parseDtmfLog('null')).toBeUndefined();
  });
});
