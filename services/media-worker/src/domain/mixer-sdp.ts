/** Static payload types a mixer speaks (RFC 3551), by number. */
const STATIC_CODECS: ReadonlyMap<number, string> = new Map([
  [0, 'PCMU'],
  [8, 'PCMA'],
]);

/**
 * The audio codec of a mixer participant's SDP (its first payload type on the first m=audio line): what
 * rtpengine must be allowed to transcode the party to, since the party's own codec may be another.
 */
export function mixerCodecOf(sdp: string): { codec: string } | { error: string } {
  const media = /^m=audio [1-9]\d* \S+ (\d+)/m.exec(sdp);
  if (!media) return { error: 'the mixer SDP has no live m=audio line' };
  const payloadType = Number(media[1]);
  const rtpmap = new RegExp(`^a=rtpmap:${payloadType} ([^/\\s]+)`, 'm').exec(sdp);
  const codec = rtpmap?.[1] ?? STATIC_CODECS.get(payloadType);
  if (!codec) return { error: `the mixer SDP's payload type ${payloadType} names no codec` };
  return { codec };
}
