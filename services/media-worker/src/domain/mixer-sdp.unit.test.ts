import { mixerAnswerSdp, mixerCodecOf } from './mixer-sdp.js';

const sdp = (media: string, ...attributes: string[]) =>
  ['v=0', 'c=IN IP4 127.0.0.1', 't=0 0', media, ...attributes, ''].join('\r\n');

describe('mixerCodecOf', () => {
  it('takes the first payload type, by its rtpmap or its static number', () => {
    expect(mixerCodecOf(sdp('m=audio 4000 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000'))).toEqual({ codec: 'PCMA' });
    expect(mixerCodecOf(sdp('m=audio 4000 RTP/AVP 0 8'))).toEqual({ codec: 'PCMU' });
  });

  it('refuses an SDP without live audio or with an unnamed dynamic payload type', () => {
    expect(mixerCodecOf(sdp('m=audio 0 RTP/AVP 0'))).toHaveProperty('error');
    expect(mixerCodecOf(sdp('m=audio 4000 RTP/AVP 96'))).toHaveProperty('error');
    expect(mixerCodecOf('not sdp')).toHaveProperty('error');
  });
});

describe('mixerAnswerSdp', () => {
  const offered = sdp(
    'm=audio 30000 RTP/AVP 0 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
  );

  it("adds the telephone-event rtpengine offered, with its payload type, to the mixer's audio", () => {
    expect(mixerAnswerSdp(sdp('m=audio 4000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=ptime:20'), offered)).toBe(
      sdp(
        'm=audio 4000 RTP/AVP 0 101',
        'a=rtpmap:0 PCMU/8000',
        'a=ptime:20',
        'a=rtpmap:101 telephone-event/8000',
        'a=fmtp:101 0-16',
      ),
    );
  });

  it('leaves the SDP alone when the mixer has telephone-event or rtpengine offered none', () => {
    const withEvents = sdp('m=audio 4000 RTP/AVP 0 96', 'a=rtpmap:96 telephone-event/8000');
    expect(mixerAnswerSdp(withEvents, offered)).toBe(withEvents);
    const plain = sdp('m=audio 4000 RTP/AVP 0');
    expect(mixerAnswerSdp(plain, sdp('m=audio 30000 RTP/AVP 0'))).toBe(plain);
  });
});
