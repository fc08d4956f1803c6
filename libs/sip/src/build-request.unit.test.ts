import { buildCancel, buildNon2xxAck } from './build-request.js';
import { buildResponse } from './build-response.js';
import type { SipRequest } from './message.js';
import { parseMessage } from './parse-message.js';

const INVITE = [
  'INVITE sip:bob@192.0.2.20 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc, SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKdef',
  'Max-Forwards: 70',
  'Route: <sip:proxy@192.0.2.9;lr>',
  'From: <sip:alice@127.0.0.1>;tag=a1',
  'To: <sip:bob@192.0.2.20>',
  'Call-ID: c1@x',
  'CSeq: 7 INVITE',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

const invite = () => parseMessage(Buffer.from(INVITE)) as SipRequest;

describe('requests derived from a sent INVITE', () => {
  it('builds the ACK for a non-2xx with the top Via only, the response To and the INVITE CSeq number', () => {
    const request = invite();
    const ack = buildNon2xxAck(request, buildResponse(request, 486, undefined, { toTag: 'b2' }));
    expect(ack.method).toBe('ACK');
    expect(ack.uri).toBe('sip:bob@192.0.2.20');
    expect(ack.getAll('Via')).toEqual(['SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc']);
    expect(ack.to.tag).toBe('b2');
    expect(ack.get('CSeq')).toBe('7 ACK');
    expect(ack.get('Route')).toBe('<sip:proxy@192.0.2.9;lr>');
  });

  it('builds the CANCEL with the same branch, To without tag, CSeq number and extra headers', () => {
    const cancel = buildCancel(invite(), [['Reason', 'SIP ;cause=200']]);
    expect(cancel.topVia.branch).toBe('z9hG4bKabc');
    expect(cancel.to.tag).toBeUndefined();
    expect(cancel.get('CSeq')).toBe('7 CANCEL');
    expect(cancel.get('Reason')).toBe('SIP ;cause=200');
  });
});

describe('top Via edits', () => {
  it('replaces and removes only the first element of a multi-valued Via line', () => {
    const request = invite();
    request.setTopVia('SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc;received=10.0.0.1');
    expect(request.topVia.received).toBe('10.0.0.1');
    expect(request.vias).toHaveLength(2);
    request.removeTopVia();
    expect(request.getAll('Via')).toEqual(['SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKdef']);
  });
});

describe('ignoreContentLength', () => {
  it('takes every octet after the headers as the body (srf counts UTF-16 units)', () => {
    const text = 'MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nhé😀!';
    const message = parseMessage(Buffer.from(text, 'utf8'), { ignoreContentLength: true });
    expect(message.body.toString('utf8')).toBe('hé😀!');
  });
});
