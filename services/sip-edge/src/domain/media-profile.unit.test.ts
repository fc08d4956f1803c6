import { audioProtocol, inboundProfile, outboundProfile, uriTransport } from './media-profile.js';

const sdp = (protocol: string) =>
  ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', `m=audio 4000 ${protocol} 0`, ''].join('\r\n');

describe('media profile of a leg', () => {
  it('reads the RTP profile of the first audio m-line', () => {
    expect(audioProtocol(sdp('udp/tls/rtp/savpf'))).toBe('UDP/TLS/RTP/SAVPF');
    expect(audioProtocol('v=0\r\n')).toBe('');
  });

  it('gives inbound browsers WebRTC by transport or by their DTLS offer', () => {
    expect(inboundProfile('wss', sdp('RTP/AVP'))).toBe('webrtc');
    expect(inboundProfile('WS', sdp('UDP/TLS/RTP/SAVPF'))).toBe('webrtc');
    expect(inboundProfile('udp', sdp('UDP/TLS/RTP/SAVPF'))).toBe('webrtc');
    expect(inboundProfile('tcp', sdp('RTP/SAVPF'))).toBe('webrtc');
  });

  it('answers an RTP/SAVP offer with SDES and anything else plain', () => {
    expect(inboundProfile('tls', sdp('RTP/SAVP'))).toBe('sdes');
    expect(inboundProfile('tls', sdp('RTP/AVP'))).toBe('plain');
    expect(inboundProfile(undefined, '')).toBe('plain');
  });

  it('knows the transport of a target URI', () => {
    expect(uriTransport('sip:alice@127.0.0.1:5080;transport=WSS')).toBe('wss');
    expect(uriTransport('sips:alice@example.test')).toBe('tls');
    expect(uriTransport('sip:alice@example.test')).toBe('udp');
  });

  it('offers WebRTC to registered browsers only when every contact is WS or WSS', () => {
    expect(outboundProfile(['wss', 'ws'], false)).toBe('webrtc');
    expect(outboundProfile(['wss', 'udp'], true)).toBe('plain');
    expect(outboundProfile([], true)).toBe('plain');
  });

  it('offers SDES over TLS only when configured', () => {
    expect(outboundProfile(['tls'], true)).toBe('sdes');
    expect(outboundProfile(['tls'], false)).toBe('plain');
    expect(outboundProfile(['tls', 'udp'], true)).toBe('plain');
  });
});
