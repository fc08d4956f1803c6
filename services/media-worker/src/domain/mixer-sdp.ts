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

/**
 * The mixer's SDP as the answer rtpengine gets: with the telephone-event rtpengine offered the mixer (same
 * payload type) when the mixer's SDP has none. Without it rtpengine 10.5 drops the party's RFC 4733 events
 * before its DTMF log, so a routed party's digits would go unreported; the mixer ignores those packets.
 */
export function mixerAnswerSdp(mixerSdp: string, offeredToMixer: string): string {
  if (/^a=rtpmap:\d+ telephone-event\//im.test(mixerSdp)) return mixerSdp;
  const event = /^a=rtpmap:(\d+) telephone-event\/8000\s*$/im.exec(offeredToMixer);
  if (!event) return mixerSdp;
  const payloadType = event[1]!;
  const eol = mixerSdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = mixerSdp.split(/\r?\n/);
  const media = lines.findIndex((line) => /^m=audio /.test(line));
  if (media < 0) return mixerSdp;
  lines[media] = `${lines[media]} ${payloadType}`;
  // After the audio stream's last line: its attributes end at the next m= line or the SDP's end.
  let end = lines.findIndex((line, i) => i > media && line.startsWith('m='));
  if (end < 0) end = lines.length;
  while (end > media + 1 && lines[end - 1] === '') end -= 1;
  lines.splice(end, 0, `a=rtpmap:${payloadType} telephone-event/8000`, `a=fmtp:${payloadType} 0-16`);
  return lines.join(eol);
}
