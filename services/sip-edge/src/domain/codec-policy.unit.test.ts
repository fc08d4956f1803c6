import {
  DEFAULT_CODEC_POLICY,
  chooseCodec,
  localAnswerCodecs,
  offeredCodecs,
  outboundOfferCodecs,
  parseCodecPolicy,
} from './codec-policy.js';

const offer = (media: string, ...attributes: string[]) =>
  ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', media, ...attributes, ''].join(
    '\r\n',
  );

const policy = parseCodecPolicy(DEFAULT_CODEC_POLICY);

describe('codec policy: parsing the CODECS list', () => {
  it('keeps the order given and the canonical spelling of each name', () => {
    expect(parseCodecPolicy(' g729, OPUS ,pcmu').order).toEqual(['G729', 'opus', 'PCMU']);
  });
  it('refuses an unknown codec by name', () => {
    expect(() => parseCodecPolicy('PCMU,iLBC')).toThrow(/unknown codec iLBC/);
  });
  it('refuses a codec listed twice and an empty list', () => {
    expect(() => parseCodecPolicy('PCMU,pcmu')).toThrow(/PCMU listed twice/);
    expect(() => parseCodecPolicy(' , ')).toThrow(/at least one/);
  });
});

describe('codec policy: reading an offer', () => {
  it('names rtpmap and static payload types, without telephone-event and CN', () => {
    const sdp = offer(
      'm=audio 4000 RTP/AVP 96 18 3 13 101',
      'a=rtpmap:96 opus/48000/2',
      'a=rtpmap:13 CN/8000',
      'a=rtpmap:101 telephone-event/48000',
    );
    expect(offeredCodecs(sdp)).toEqual(['opus', 'g729', 'gsm']);
  });
  it('reads the first live audio stream only', () => {
    const sdp = offer(
      'm=audio 0 RTP/AVP 8',
      'm=audio 4000 RTP/AVP 0',
      'm=video 4002 RTP/AVP 96',
      'a=rtpmap:96 opus/48000/2',
    );
    expect(offeredCodecs(sdp)).toEqual(['pcmu']);
  });
});

describe('codec policy: an offer the platform answers', () => {
  it('picks the first codec in policy order, not in the offer order', () => {
    const sdp = offer('m=audio 4000 RTP/AVP 3 8 0', 'a=rtpmap:3 GSM/8000');
    expect(chooseCodec(policy, sdp)).toBe('PCMU');
    expect(localAnswerCodecs(policy, sdp)).toEqual({
      usable: true,
      codec: 'PCMU',
      options: { mask: ['gsm', 'pcma'], transcode: [] },
    });
  });
  it('follows a configured order', () => {
    const sdp = offer('m=audio 4000 RTP/AVP 0 9', 'a=rtpmap:9 G722/8000');
    expect(chooseCodec(parseCodecPolicy('G722,PCMU'), sdp)).toBe('G722');
  });
  it('refuses an offer without an allowed codec, naming the allowed ones', () => {
    const sdp = offer('m=audio 4000 RTP/AVP 97', 'a=rtpmap:97 speex/16000');
    expect(localAnswerCodecs(parseCodecPolicy('PCMA,opus'), sdp)).toEqual({
      usable: false,
      reason: 'no codec the platform allows (PCMA, opus) offered',
    });
  });
});

describe('codec policy: an offer going on to another party', () => {
  it("offers the caller's allowed codecs first, then the rest of the policy transcoded", () => {
    const sdp = offer('m=audio 4000 RTP/AVP 18 101', 'a=rtpmap:101 telephone-event/8000');
    expect(outboundOfferCodecs(policy, sdp)).toEqual({
      mask: ['g729'],
      transcode: ['G729', 'PCMU', 'PCMA', 'G722', 'opus', 'GSM'],
    });
  });
  it('masks codecs outside the policy', () => {
    const sdp = offer('m=audio 4000 RTP/AVP 97 0', 'a=rtpmap:97 speex/16000');
    expect(outboundOfferCodecs(parseCodecPolicy('PCMA,PCMU'), sdp)).toEqual({
      mask: ['speex', 'pcmu'],
      transcode: ['PCMU', 'PCMA'],
    });
  });
});
