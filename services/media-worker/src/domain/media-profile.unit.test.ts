import {
  answerProfileParams,
  offerProfileParams,
  preferOpus,
  webrtcTranscode,
  WEBRTC_OPUS,
} from './media-profile.js';

const offer = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=audio 4000 UDP/TLS/RTP/SAVPF 0 8 96 97 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:96 opus/48000/2',
  'a=rtpmap:97 telephone-event/48000',
  'a=rtpmap:101 telephone-event/8000',
  '',
].join('\r\n');

describe('media profiles', () => {
  it('names transport, ICE, rtcp-mux and keying outright for every offer profile', () => {
    expect(offerProfileParams('plain')).toMatchObject({
      'transport-protocol': 'RTP/AVP',
      ICE: 'remove',
      DTLS: 'off',
    });
    expect(offerProfileParams('sdes')).toMatchObject({
      'transport-protocol': 'RTP/SAVP',
      ICE: 'remove',
      DTLS: 'off',
    });
    expect(offerProfileParams('webrtc')).toEqual({
      'transport-protocol': 'UDP/TLS/RTP/SAVPF',
      ICE: 'force',
      'rtcp-mux': ['require'],
      SDES: ['off'],
    });
  });

  it('answers a WebRTC offerer with rtcp-mux (ICE as it offered), others without ICE', () => {
    expect(answerProfileParams('webrtc')).toEqual({ 'rtcp-mux': ['require'] });
    expect(answerProfileParams('sdes')).toEqual({ ICE: 'remove' });
  });

  it('adds opus for a WebRTC side unless the policy masks opus or already transcodes some', () => {
    expect(webrtcTranscode({ mask: [], transcode: ['PCMA'] })).toEqual(['PCMA', WEBRTC_OPUS]);
    expect(webrtcTranscode({ mask: [], transcode: ['opus/48000/1/16000'] })).toEqual(['opus/48000/1/16000']);
    expect(webrtcTranscode({ mask: ['opus'], transcode: [] })).toEqual([]);
  });

  it('moves opus to the front of the audio formats and keeps the rest in order', () => {
    expect(preferOpus(offer)).toContain('m=audio 4000 UDP/TLS/RTP/SAVPF 96 0 8 97 101\r\n');
    const withoutOpus = offer.replace('a=rtpmap:96 opus/48000/2\r\n', '');
    expect(preferOpus(withoutOpus)).toBe(withoutOpus);
  });
});
