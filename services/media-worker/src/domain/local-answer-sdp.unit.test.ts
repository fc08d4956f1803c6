import { localAnswerSdp } from './local-answer-sdp.js';

const offer = (media: string, attributes: string[]) =>
  ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', media, ...attributes, ''].join(
    '\r\n',
  );

describe('local answer SDP', () => {
  it('keeps the first codec and the matching telephone-event with the offered payload types', () => {
    const sdp = localAnswerSdp(
      offer('m=audio 30000 RTP/AVP 8 0 96', [
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:96 telephone-event/8000',
      ]),
      { address: '127.0.0.1', port: 41000 },
      7,
    );
    expect(sdp).toContain('m=audio 41000 RTP/AVP 8 96\r\n');
    expect(sdp).toContain('a=rtpmap:96 telephone-event/8000');
    expect(sdp).toContain('c=IN IP4 127.0.0.1');
  });

  it('leaves out a telephone-event of another clock rate', () => {
    const sdp = localAnswerSdp(
      offer('m=audio 30000 RTP/AVP 96 101', [
        'a=rtpmap:96 opus/48000/2',
        'a=rtpmap:101 telephone-event/8000',
      ]),
      { address: '127.0.0.1', port: 41000 },
      1,
    );
    expect(sdp).toContain('m=audio 41000 RTP/AVP 96\r\n');
  });

  it('refuses an offer without audio', () => {
    expect(() =>
      localAnswerSdp(offer('m=video 1 RTP/AVP 96', []), { address: '127.0.0.1', port: 1 }, 1),
    ).toThrow(/no audio/);
  });
});
