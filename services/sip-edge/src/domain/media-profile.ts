// Which media profile a leg gets, from how its signalling arrives or leaves and what its SDP offers. Pure.

/**
 * How a leg's media is carried (media-worker MediaProfile): plain RTP/AVP; SDES-SRTP (RTP/SAVP with
 * a=crypto) for SIP phones over TLS; WebRTC (UDP/TLS/RTP/SAVPF, ICE, DTLS-SRTP, rtcp-mux, opus) for browsers.
 */
export type MediaProfile = 'plain' | 'sdes' | 'webrtc';

/** SIP transports as the engine names them (drachtio's `protocol`), lower case. */
const WEBSOCKET = new Set(['ws', 'wss']);

/** The RTP profile of the first audio m-line (`RTP/AVP`, `UDP/TLS/RTP/SAVPF`, ...); '' without one. */
export function audioProtocol(sdp: string): string {
  const line = /^m=audio \d+(?:\/\d+)? (\S+)/m.exec(sdp);
  return line?.[1]?.toUpperCase() ?? '';
}

/**
 * An inbound leg's profile: a browser (signalling over WS/WSS, or any leg offering DTLS-SRTP: SAVPF or
 * UDP/TLS) gets WebRTC; a phone offering RTP/SAVP is answered with SDES keys (RFC 4568 keys travel in the
 * SDP, so this is only private over TLS, which is where such phones use it); everything else plain.
 */
export function inboundProfile(protocol: string | undefined, offerSdp: string): MediaProfile {
  const rtp = audioProtocol(offerSdp);
  if (WEBSOCKET.has((protocol ?? '').toLowerCase()) || rtp.includes('SAVPF') || rtp.startsWith('UDP/TLS/'))
    return 'webrtc';
  return rtp === 'RTP/SAVP' ? 'sdes' : 'plain';
}

/** The transport a request to `uri` goes over: its `transport` parameter, `tls` for sips:, else udp. */
export function uriTransport(uri: string): string {
  const param = /;transport=([a-z]+)/i.exec(uri)?.[1]?.toLowerCase();
  if (param) return param;
  return /^\s*<?sips:/i.test(uri) ? 'tls' : 'udp';
}

/**
 * An outbound leg's profile from the transports its INVITE may go over (one per contact of a user, one
 * per trunk gateway): WebRTC when every one is WS/WSS (registered browsers); SDES when every one is TLS and
 * `sdesOverTls` is configured (SIP_TLS_OUTBOUND_SRTP); plain otherwise. One offer serves all forks of the
 * INVITE, so a user with a browser and a UDP phone registered gets plain RTP, which the phone can take.
 */
export function outboundProfile(transports: readonly string[], sdesOverTls: boolean): MediaProfile {
  const names = transports.map((t) => t.toLowerCase());
  if (names.length === 0) return 'plain';
  if (names.every((t) => WEBSOCKET.has(t))) return 'webrtc';
  if (sdesOverTls && names.every((t) => t === 'tls')) return 'sdes';
  return 'plain';
}
