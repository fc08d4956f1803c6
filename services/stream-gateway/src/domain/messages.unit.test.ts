import { parseEndpointMessage, serialize } from './messages.js';

describe('stream messages', () => {
  it('puts event, sequenceNumber and streamId first, then the body under its event', () => {
    const text = serialize(
      { event: 'media', media: { channel: 'leg-1', chunk: 3, timestamp: 40, payload: 'AAE=' } },
      7,
      'str-1',
    );
    expect(text).toBe(
      '{"event":"media","sequenceNumber":7,"streamId":"str-1","media":{"channel":"leg-1","chunk":3,"timestamp":40,"payload":"AAE="}}',
    );
    expect(JSON.parse(serialize({ event: 'close', close: { reason: 'call-ended' } }, 9, 's'))).toEqual({
      event: 'close',
      sequenceNumber: 9,
      streamId: 's',
      close: { reason: 'call-ended' },
    });
  });

  it('reads media, clear and mark from the endpoint', () => {
    expect(parseEndpointMessage('{"event":"media","media":{"payload":"AAEC"}}')).toEqual({
      kind: 'media',
      payload: Buffer.from([0, 1, 2]),
    });
    expect(parseEndpointMessage('{"event":"clear"}')).toEqual({ kind: 'clear' });
    expect(parseEndpointMessage('{"event":"mark","mark":{"name":"m1"}}')).toEqual({
      kind: 'mark',
      name: 'm1',
    });
  });

  it.each([
    ['not json', 'not JSON'],
    ['[1]', 'not a JSON object'],
    ['{"event":"media","media":{}}', 'media without a base64 media.payload'],
    ['{"event":"media","media":{"payload":"!!"}}', 'media without a base64 media.payload'],
    ['{"event":"mark"}', 'mark without a mark.name'],
    ['{"event":"stop"}', 'unknown event "stop"'],
  ])('says why %s is invalid', (text, reason) => {
    expect(parseEndpointMessage(text)).toEqual({ kind: 'invalid', reason });
  });
});
