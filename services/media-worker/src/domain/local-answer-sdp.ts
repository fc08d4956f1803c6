/** Where the worker's own (silent) party of a one-sided session receives media. */
export interface LocalEndpoint {
  address: string;
  port: number;
}

/**
 * Builds the answer of the platform's own party to rtpengine's offer for a call nobody else is on. rtpengine
 * needs a complete offer+answer before play media, echo and DTMF work; the answer must reuse the offered
 * payload types, so it keeps the first audio codec and telephone-event (if offered) and points at the
 * worker's sink socket, which discards what arrives.
 */
export function localAnswerSdp(offerSdp: string, endpoint: LocalEndpoint, sessionVersion: number): string {
  const lines = offerSdp.split(/\r?\n/);
  const audio = lines.find((line) => line.startsWith('m=audio '));
  if (!audio) throw new Error('offer has no audio stream');
  const payloads = audio.split(' ').slice(3);
  const rtpmaps = new Map<string, string>();
  const fmtps = new Map<string, string>();
  for (const line of lines) {
    const rtpmap = /^a=rtpmap:(\d+) (.+)$/.exec(line);
    if (rtpmap?.[1] && rtpmap[2]) rtpmaps.set(rtpmap[1], rtpmap[2]);
    const fmtp = /^a=fmtp:(\d+) (.+)$/.exec(line);
    if (fmtp?.[1] && fmtp[2]) fmtps.set(fmtp[1], fmtp[2]);
  }
  const isEvent = (pt: string) => /^telephone-event\//i.test(rtpmaps.get(pt) ?? '');
  const codec = payloads.find((pt) => !isEvent(pt));
  if (codec === undefined) throw new Error('offer has no audio codec');
  const event = payloads.find((pt) => isEvent(pt) && rtpmaps.get(pt)?.split('/')[1] === clockOf(codec));
  const chosen = event === undefined ? [codec] : [codec, event];
  const out = [
    'v=0',
    `o=- ${sessionVersion} ${sessionVersion} IN IP4 ${endpoint.address}`,
    's=-',
    `c=IN IP4 ${endpoint.address}`,
    't=0 0',
    `m=audio ${endpoint.port} RTP/AVP ${chosen.join(' ')}`,
  ];
  for (const pt of chosen) {
    const rtpmap = rtpmaps.get(pt);
    if (rtpmap) out.push(`a=rtpmap:${pt} ${rtpmap}`);
    const fmtp = fmtps.get(pt);
    if (fmtp) out.push(`a=fmtp:${pt} ${fmtp}`);
  }
  out.push('a=sendrecv');
  return out.join('\r\n') + '\r\n';

  function clockOf(pt: string): string {
    // Static payload types 0-34 without rtpmap are 8 kHz audio in practice (PCMU, GSM, PCMA, G729...).
    return rtpmaps.get(pt)?.split('/')[1] ?? '8000';
  }
}
