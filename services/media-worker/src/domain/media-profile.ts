// The media profiles a side of a session can have, and what each asks of rtpengine. Pure: the ng flags
// and the SDP touch-up, no I/O.

/** How one side's media is carried (proto MediaProfile): see media_worker.proto. */
export type MediaProfile = 'plain' | 'sdes' | 'webrtc';

/** The opus rtpengine adds by transcoding for a WebRTC side that was not offered it (browsers take 48 kHz stereo). */
export const WEBRTC_OPUS = 'opus/48000/2';

/**
 * ng parameters of an offer whose SDP goes to a side with `profile`. Every profile names its transport,
 * ICE and keying outright, so the result never depends on what the offerer happened to send: a browser's
 * offer loses ICE, DTLS and rtcp-mux towards a plain phone, a phone's gains them towards a browser.
 * `SDES: off` keeps a=crypto out of a WebRTC offer (browsers key by DTLS only); `DTLS: off` keeps a
 * fingerprint out of plain and SDES offers.
 */
export function offerProfileParams(profile: MediaProfile): Record<string, unknown> {
  switch (profile) {
    case 'plain':
      return { 'transport-protocol': 'RTP/AVP', ICE: 'remove', 'rtcp-mux': ['demux'], DTLS: 'off' };
    case 'sdes':
      return { 'transport-protocol': 'RTP/SAVP', ICE: 'remove', 'rtcp-mux': ['demux'], DTLS: 'off' };
    case 'webrtc':
      return {
        'transport-protocol': 'UDP/TLS/RTP/SAVPF',
        ICE: 'force',
        'rtcp-mux': ['require'],
        SDES: ['off'],
      };
  }
}

/**
 * ng parameters of an answer going back to an offerer with `profile`. rtpengine answers in the protocol
 * the offerer used, so only ICE and rtcp-mux are said: a WebRTC offerer gets rtpengine's candidates and a
 * muxed RTCP whatever the answering side did.
 */
export function answerProfileParams(profile: MediaProfile): Record<string, unknown> {
  switch (profile) {
    case 'plain':
    case 'sdes':
      return { ICE: 'remove' };
    case 'webrtc':
      return { ICE: 'force', 'rtcp-mux': ['require'] };
  }
}

/**
 * The codecs a WebRTC side is offered: opus added by transcoding unless masked. A codec policy that
 * already transcodes some opus keeps its own spelling.
 */
export function webrtcTranscode(transcode: readonly string[]): string[] {
  return transcode.some((codec) => codec.toLowerCase().startsWith('opus'))
    ? [...transcode]
    : [...transcode, WEBRTC_OPUS];
}

/**
 * Moves opus to the front of the first audio m-line's formats: browsers answer with the first codec they
 * share, and rtpengine appends transcoded codecs at the end (behind the offerer's PCMU). Other lines and
 * the order of the remaining formats are kept. An SDP without opus is returned as it is.
 */
export function preferOpus(sdp: string): string {
  const lines = sdp.split('\r\n');
  const opus = new Set<string>();
  for (const line of lines) {
    const rtpmap = /^a=rtpmap:(\d+) opus\//i.exec(line);
    if (rtpmap) opus.add(rtpmap[1]!);
  }
  if (opus.size === 0) return sdp;
  const index = lines.findIndex((line) => line.startsWith('m=audio '));
  if (index < 0) return sdp;
  const fields = lines[index]!.split(' ');
  const formats = fields.slice(3);
  const first = formats.filter((pt) => opus.has(pt));
  lines[index] = [...fields.slice(0, 3), ...first, ...formats.filter((pt) => !opus.has(pt))].join(' ');
  return lines.join('\r\n');
}
