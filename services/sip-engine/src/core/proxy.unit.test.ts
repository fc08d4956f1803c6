import { buildResponse, parseMessage, type SipRequest } from '@callctl/sip';
import { bestResponse, parseDuration, parseProxyCommand } from './proxy.js';

const request = parseMessage(
  Buffer.from(
    'INVITE sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=a\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n',
  ),
) as SipRequest;

describe('proxy command', () => {
  it('reads the token positions srf writes (research §3.6) and the extra headers', () => {
    const command = parseProxyCommand({
      type: 'proxy',
      msgId: 'm',
      tokens: [
        'txn1',
        'remainInDialog',
        'fullResponse',
        'followRedirects',
        'simultaneous',
        '1500ms',
        '',
        'sip:a',
        'sip:b',
      ],
      sip: 'INVITE sip:a SIP/2.0\r\nx-route: edge\r\nContent-Length: 0\r\n\r\n',
    });
    expect(command).toEqual({
      txnId: 'txn1',
      recordRoute: true,
      followRedirects: true,
      simultaneous: true,
      provisionalTimeoutMs: 1500,
      destinations: ['sip:a', 'sip:b'],
      extraHeaders: [['x-route', 'edge']],
    });
  });

  it('reads durations in seconds and milliseconds', () => {
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('750ms')).toBe(750);
    expect(parseDuration('3')).toBe(3000);
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('prefers 6xx, then challenges, then other 4xx, then 5xx (RFC 3261 16.7)', () => {
    const pick = (...codes: number[]) => bestResponse(codes.map((c) => buildResponse(request, c)))?.status;
    expect(pick(503, 486, 603)).toBe(603);
    expect(pick(503, 404, 407)).toBe(407);
    expect(pick(503, 404)).toBe(404);
    expect(pick(503, 302)).toBe(503);
    expect(pick()).toBeUndefined();
  });
});
