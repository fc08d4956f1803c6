// Where an SDP says its first audio stream receives: the c= (media level, else session level) and the port
// of the first m=audio. This is what an RTP party needs to send to the far end (a mixer's participant told
// rtpengine's SDP). Pure: text in, address out; null when the SDP has no usable audio address.

export interface SdpAudioTarget {
  /** IPv4 dotted quad or IPv6 text (no brackets). */
  address: string;
  port: number;
}

/** The first live m=audio's address and port; null without one (no audio, port 0, no c= for it). */
export function sdpAudioTarget(sdp: string): SdpAudioTarget | null {
  let sessionAddress: string | undefined;
  let port: number | undefined;
  let mediaAddress: string | undefined;
  let inAudio = false;
  let seenMedia = false;
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      if (port !== undefined) break;
      seenMedia = true;
      const fields = line.slice(2).split(' ');
      const candidate = Number(fields[1]?.split('/')[0]);
      inAudio = fields[0] === 'audio' && Number.isInteger(candidate) && candidate > 0 && candidate < 65536;
      if (inAudio) port = candidate;
      continue;
    }
    if (!line.startsWith('c=')) continue;
    const address = /^c=IN IP[46] ([^\s/]+)/.exec(line)?.[1];
    if (!seenMedia) sessionAddress = address;
    else if (inAudio) mediaAddress = address;
  }
  const address = mediaAddress ?? sessionAddress;
  if (port === undefined || !address || address === '0.0.0.0') return null;
  return { address, port };
}
