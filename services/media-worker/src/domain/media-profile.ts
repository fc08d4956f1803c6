// The media profiles a side of a session can have, and what each asks of rtpengine. Pure: the ng flags
// and the SDP touch-up, no I/O.

/** How one side's media is carried (proto MediaProfile): see media_worker.proto. */
export type MediaProfile = 'plain' | 'sdes' | 'webrtc';

/** The opus rtpengine adds by transcoding for a WebRTC side that was not offered it (browsers take 48 kHz stereo). */
export const WEBRTC_OPUS = 'opus/48000/2';

/**
 * The SDES suites rtpengine 10.5 offers that an SDES side is NOT offered (it has no `only-` flag): the
 * NULL ones do not encrypt at all; the AEAD_AES_*_GCM keys it writes are two bytes short for libre's
 * SRTP (baresip: "srtp keylen is 42 (should be 44)", no audio); the AES-192/256 and F8 suites few phones
 * have. Left: AES_CM_128_HMAC_SHA1_80 and _32, the suites RFC 4568 makes every SDES endpoint support.
 */
const SDES_SUITES_NOT_OFFERED = [
  'AEAD_AES_256_GCM',
  'AEAD_AES_128_GCM',
  'AES_256_CM_HMAC_SHA1_80',
  'AES_256_CM_HMAC_SHA1_32',
  'AES_192_CM_HMAC_SHA1_80',
  'AES_192_CM_HMAC_SHA1_32',
  'F8_128_HMAC_SHA1_80',
  'F8_128_HMAC_SHA1_32',
  'NULL_HMAC_SHA1_80',
  'NULL_HMAC_SHA1_32',
];

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
      return {
        'transport-protocol': 'RTP/SAVP',
        ICE: 'remove',
        'rtcp-mux': ['demux'],
        DTLS: 'off',
        SDES: SDES_SUITES_NOT_OFFERED.map((suite) => `no-${suite}`),
      };
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
 * the offerer used, and with ICE exactly when the offerer did (a browser always does); forcing ICE on an
 * offerer without it would make rtpengine wait for connectivity checks that never come, with no media
 * (seen with baresip's DTLS-SRTP). So a WebRTC answer only requires rtcp-mux.
 */
export function answerProfileParams(profile: MediaProfile): Record<string, unknown> {
  switch (profile) {
    case 'plain':
    case 'sdes':
      return { ICE: 'remove' };
    case 'webrtc':
      return { 'rtcp-mux': ['require'] };
  }
}

/**
 * The codecs a WebRTC side is offered: opus added by transcoding, unless the caller's codec policy masks
 * opus (it allows no opus) or already transcodes some (its own spelling is kept).
 */
export function webrtcTranscode(codecs: { mask: readonly string[]; transcode: readonly string[] }): string[] {
  const isOpus = (codec: string) => codec.toLowerCase().startsWith('opus');
  return codecs.transcode.some(isOpus) || codecs.mask.some(isOpus)
    ? [...codecs.transcode]
    : [...codecs.transcode, WEBRTC_OPUS];
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
