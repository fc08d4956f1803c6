import { sdpAudioTarget } from './sdp-media';

const sdp = (...lines: string[]) => ['v=0', 'o=- 1 1 IN IP4 10.0.0.1', 's=-', ...lines, ''].join('\r\n');

describe('sdpAudioTarget', () => {
  it('reads the session-level c= and the audio port', () => {
    expect(sdpAudioTarget(sdp('c=IN IP4 10.0.0.2', 't=0 0', 'm=audio 40000 RTP/AVP 0'))).toEqual({
      address: '10.0.0.2',
      port: 40000,
    });
  });

  it('prefers the media-level c= of the audio stream', () => {
    const text = sdp('c=IN IP4 10.0.0.2', 't=0 0', 'm=audio 40002 RTP/AVP 8', 'c=IN IP4 10.0.0.3');
    expect(sdpAudioTarget(text)).toEqual({ address: '10.0.0.3', port: 40002 });
  });

  it('skips a video stream and its c= before the audio, and an audio stream on port 0', () => {
    const text = sdp(
      't=0 0',
      'm=video 5000 RTP/AVP 96',
      'c=IN IP4 10.9.9.9',
      'm=audio 0 RTP/AVP 0',
      'c=IN IP4 10.8.8.8',
      'm=audio 40004 RTP/AVP 0',
      'c=IN IP6 ::1',
    );
    expect(sdpAudioTarget(text)).toEqual({ address: '::1', port: 40004 });
  });

  it.each([
    ['no audio', sdp('c=IN IP4 10.0.0.2', 'm=video 5000 RTP/AVP 96')],
    ['no c=', sdp('t=0 0', 'm=audio 40000 RTP/AVP 0')],
    ['port 0', sdp('c=IN IP4 10.0.0.2', 'm=audio 0 RTP/AVP 0')],
    ['a hold address', sdp('c=IN IP4 0.0.0.0', 'm=audio 40000 RTP/AVP 0')],
    ['not SDP', 'hello'],
  ])('is null with %s', (_label, text) => {
    expect(sdpAudioTarget(text)).toBeNull();
  });
});
