import { mixerCodecOf } from './mixer-sdp.js';

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
