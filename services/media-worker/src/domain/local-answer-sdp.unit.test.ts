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

  it('answers each codec of the policy with its payload type, rtpmap, fmtp and telephone-event clock', () => {
    const endpoint = { address: '127.0.0.1', port: 41000 };
    const cases = [
      { media: 'm=audio 30000 RTP/AVP 0', attributes: [], expected: ['a=rtpmap:0 PCMU/8000'] },
      { media: 'm=audio 30000 RTP/AVP 8', attributes: [], expected: ['a=rtpmap:8 PCMA/8000'] },
      { media: 'm=audio 30000 RTP/AVP 3', attributes: [], expected: ['a=rtpmap:3 GSM/8000'] },
      {
        media: 'm=audio 30000 RTP/AVP 9 101',
        attributes: ['a=rtpmap:101 telephone-event/8000'],
        expected: [
          'm=audio 41000 RTP/AVP 9 101',
          'a=rtpmap:9 G722/8000',
          'a=rtpmap:101 telephone-event/8000',
        ],
      },
      {
        media: 'm=audio 30000 RTP/AVP 18',
        attributes: ['a=rtpmap:18 G729/8000'],
        expected: ['a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no'],
      },
      {
        media: 'm=audio 30000 RTP/AVP 111 101 110',
        attributes: [
          'a=rtpmap:111 opus/48000/2',
          'a=fmtp:111 minptime=10;useinbandfec=1',
          'a=rtpmap:101 telephone-event/8000',
          'a=rtpmap:110 telephone-event/48000',
          'a=fmtp:110 0-16',
        ],
        expected: [
          'm=audio 41000 RTP/AVP 111 110',
          'a=rtpmap:111 opus/48000/2',
          'a=fmtp:111 minptime=10;useinbandfec=1',
          'a=rtpmap:110 telephone-event/48000',
          'a=fmtp:110 0-16',
        ],
      },
    ];
    for (const { media, attributes, expected } of cases) {
      const lines = localAnswerSdp(offer(media, attributes), endpoint, 1).split('\r\n');
      for (const line of expected) expect(lines).toContain(line);
    }
  });

  it('never keeps comfort noise as the codec', () => {
    const sdp = localAnswerSdp(
      offer('m=audio 30000 RTP/AVP 13 8', ['a=rtpmap:13 CN/8000']),
      { address: '127.0.0.1', port: 41000 },
      1,
    );
    expect(sdp).toContain('m=audio 41000 RTP/AVP 8\r\n');
    expect(sdp).toContain('a=rtpmap:8 PCMA/8000');
  });

  it('refuses an offer without audio', () => {
    expect(() =>
      localAnswerSdp(offer('m=video 1 RTP/AVP 96', []), { address: '127.0.0.1', port: 1 }, 1),
    ).toThrow(/no audio/);
  });
});
