import { checkOffer } from './offer-sdp.js';

const sdp = (...lines: string[]) => lines.join('\r\n') + '\r\n';
const head = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-'];
const offer = (...media: string[]) => sdp(...head, 'c=IN IP4 127.0.0.1', 't=0 0', ...media);

function reasonOf(text: string): string | undefined {
  const check = checkOffer(text);
  return check.usable ? undefined : check.reason;
}

describe('checkOffer: usable offers', () => {
  it('takes PCMU by its static payload type', () =>
    expect(checkOffer(offer('m=audio 6000 RTP/AVP 0'))).toEqual({ usable: true }));

  it('takes a dynamic opus rtpmap', () =>
    expect(checkOffer(offer('m=audio 6000 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2'))).toEqual({
      usable: true,
    }));

  it('takes a c= line on the media section instead of the session', () =>
    expect(
      checkOffer(sdp(...head, 't=0 0', 'm=audio 6000 RTP/AVP 8 101', 'c=IN IP4 10.0.0.1', 'a=sendrecv')),
    ).toEqual({ usable: true }));

  it('takes LF line ends and an SRTP profile', () =>
    expect(checkOffer(offer('m=audio 6000 RTP/SAVP 9').replace(/\r\n/g, '\n'))).toEqual({ usable: true }));

  it('takes an offer whose first audio stream is declined but another is live', () =>
    expect(checkOffer(offer('m=audio 0 RTP/AVP 0', 'm=audio 7000 RTP/AVP 0'))).toEqual({ usable: true }));
});

describe('checkOffer: refused offers say why', () => {
  it('refuses text that is not SDP', () => expect(reasonOf('hello world')).toMatch(/v=0/));

  it('refuses a line that is not type=value', () =>
    expect(reasonOf(offer('m=audio 6000 RTP/AVP 0', 'garbage'))).toMatch(/malformed SDP line/));

  it('refuses an offer without audio', () =>
    expect(reasonOf(offer('m=video 6000 RTP/AVP 96'))).toBe('no m=audio stream'));

  it('refuses audio on port 0 only', () =>
    expect(reasonOf(offer('m=audio 0 RTP/AVP 0'))).toBe('every audio stream has port 0'));

  it('refuses a port out of range', () =>
    expect(reasonOf(offer('m=audio 70000 RTP/AVP 0'))).toMatch(/bad port/));

  it('refuses a missing connection line', () =>
    expect(reasonOf(sdp(...head, 't=0 0', 'm=audio 6000 RTP/AVP 0'))).toBe(
      'no c= line for the audio stream',
    ));

  it('refuses a malformed connection address', () =>
    expect(reasonOf(sdp(...head, 'c=IN IP4 nowhere', 't=0 0', 'm=audio 6000 RTP/AVP 0'))).toMatch(
      /malformed c= line/,
    ));

  it('refuses an IPv4 address out of range', () =>
    expect(reasonOf(sdp(...head, 'c=IN IP4 999.1.1.1', 't=0 0', 'm=audio 6000 RTP/AVP 0'))).toMatch(
      /malformed c= line/,
    ));

  it('refuses codecs rtpengine cannot encode', () =>
    expect(reasonOf(offer('m=audio 6000 RTP/AVP 96', 'a=rtpmap:96 AMR/8000'))).toBe(
      'no audio codec the platform supports',
    ));

  it('refuses telephone-event without an audio codec', () =>
    expect(reasonOf(offer('m=audio 6000 RTP/AVP 101', 'a=rtpmap:101 telephone-event/8000'))).toBe(
      'no audio codec the platform supports',
    ));

  it('refuses payload types that are not numbers', () =>
    expect(reasonOf(offer('m=audio 6000 RTP/AVP x'))).toBe('bad payload types in m=audio'));

  it('refuses a non-RTP transport', () =>
    expect(reasonOf(offer('m=audio 6000 TCP/MSRP *'))).toMatch(/not RTP/));

  it('refuses an oversized body', () =>
    expect(reasonOf(offer('m=audio 6000 RTP/AVP 0', ...Array(2000).fill('a=x:yyyyyyyy')))).toMatch(
      /larger than/,
    ));
});
