import { AdminProtocolError, decodeAppMessage, responsePayload, sipPayload, timeOfDay } from './codec.js';

describe('admin codec', () => {
  it('keeps empty tokens and splits the SIP text after the first CRLF', () => {
    const msg = decodeAppMessage('m1|sip||d1\r\nBYE sip:placeholder SIP/2.0\r\nx: a|b\r\n\r\n');
    expect(msg).toEqual({
      type: 'sip',
      msgId: 'm1',
      txnId: '',
      dialogId: 'd1',
      routeUrl: '',
      sip: 'BYE sip:placeholder SIP/2.0\r\nx: a|b\r\n\r\n',
    });
  });

  it('decodes authenticate with an empty trailing tags token', () => {
    expect(decodeAppMessage('m|authenticate|cymru|')).toEqual({
      type: 'authenticate',
      msgId: 'm',
      secret: 'cymru',
      tags: [],
    });
  });

  it('lower-cases route verbs', () => {
    expect(decodeAppMessage('m|route|INVITE')).toMatchObject({ type: 'route', verb: 'invite' });
  });

  it('rejects unknown types and frames without a type', () => {
    expect(() => decodeAppMessage('m|bogus')).toThrow(AdminProtocolError);
    expect(() => decodeAppMessage('lonely')).toThrow(AdminProtocolError);
    expect(() => decodeAppMessage('m|route|')).toThrow(/without a verb/);
  });

  it('builds response and sip frames in the token positions srf reads', () => {
    expect(responsePayload('s', 'a', 'OK', ['pong'])).toBe('s|response|a|OK|pong');
    const payload = sipPayload(
      's',
      { source: 'network', bytes: 3, protocol: 'udp', address: '127.0.0.1', port: 5, time: 't' },
      'tx',
      '',
      'SIP',
      { address: '127.0.0.1', port: 5060 },
    );
    expect(payload.split('\r\n')[0]!.split('|')).toEqual([
      's',
      'sip',
      'network',
      '3',
      'udp',
      '127.0.0.1',
      '5',
      't',
      'tx',
      '',
      '127.0.0.1',
      '5060',
      '',
    ]);
  });

  it('formats the time of day with microseconds', () => {
    expect(timeOfDay(new Date(Date.UTC(2020, 0, 1, 3, 4, 5, 67)))).toBe('03:04:05.067000');
  });
});
