import { classifyFrame } from './ws-frames.js';

const frame = (text: string) => Buffer.from(text, 'latin1');

describe('classifyFrame', () => {
  it('tells RFC 5626 keep-alives apart: double CRLF is a ping, a lone CRLF a pong', () => {
    expect(classifyFrame(frame('\r\n\r\n'))).toBe('ping');
    expect(classifyFrame(frame('\r\n'))).toBe('pong');
  });

  it('takes requests and responses by their start line', () => {
    expect(classifyFrame(frame('REGISTER sip:example.com SIP/2.0\r\nVia: x\r\n\r\n'))).toBe('sip');
    expect(classifyFrame(frame('SIP/2.0 200 OK\r\nVia: x\r\n\r\n'))).toBe('sip');
    expect(classifyFrame(frame('SIP/2.0 180\r\n\r\n'))).toBe('sip');
  });

  it('refuses what is not SIP: JSON, HTTP, binary, a start line without CRLF, three CRLFs', () => {
    expect(classifyFrame(frame('{"hello":"world"}'))).toBe('not-sip');
    expect(classifyFrame(frame('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe('not-sip');
    expect(classifyFrame(Buffer.from([0, 1, 2, 3, 0xff]))).toBe('not-sip');
    expect(classifyFrame(frame('INVITE sip:a@b SIP/2.0'))).toBe('not-sip');
    expect(classifyFrame(frame('\r\n\r\n\r\n'))).toBe('not-sip');
    expect(classifyFrame(frame(''))).toBe('not-sip');
  });
});
