import { ValidationError } from './errors.js';

/** Where the worker's own (silent) party of a one-sided session receives media. */
export interface LocalEndpoint {
  address: string;
  port: number;
}

/**
 * RFC 3551 static payload types an offer may use without an rtpmap line. G.722's RTP clock is 8000 although
 * it samples at 16 kHz (RFC 3551 §4.5.2, an error kept for compatibility), so its telephone-event is 8000.
 */
const STATIC_RTPMAPS = new Map<string, string>([
  ['0', 'PCMU/8000'],
  ['3', 'GSM/8000'],
  ['8', 'PCMA/8000'],
  ['9', 'G722/8000'],
  ['18', 'G729/8000'],
]);

/** Carry no audio of their own: never the codec the answer keeps. */
const COMPANIONS = /^(telephone-event|CN)\//i;

/**
 * Builds the answer of the platform's own party to rtpengine's offer for a call nobody else is on. rtpengine
 * needs a complete offer+answer before play media, echo and DTMF work; the answer must reuse the offered
 * payload types, so it keeps the first audio codec (sip-edge's codec policy masks the others, so that is the
 * policy's choice) and the telephone-event of the same RTP clock (8000 for G.711, G.722, G.729 and GSM,
 * 48000 for opus), and points at the worker's sink socket, which discards what arrives.
 */
export function localAnswerSdp(offerSdp: string, endpoint: LocalEndpoint, sessionVersion: number): string {
  const lines = offerSdp.split(/\r?\n/);
  const audio = lines.find((line) => line.startsWith('m=audio '));
  if (!audio) throw new ValidationError('offer has no audio stream');
  const payloads = audio.split(' ').slice(3).filter(Boolean);
  const rtpmaps = new Map<string, string>();
  const fmtps = new Map<string, string>();
  for (const line of lines) {
    const rtpmap = /^a=rtpmap:(\d+) (.+)$/.exec(line);
    if (rtpmap?.[1] && rtpmap[2]) rtpmaps.set(rtpmap[1], rtpmap[2]);
    const fmtp = /^a=fmtp:(\d+) (.+)$/.exec(line);
    if (fmtp?.[1] && fmtp[2]) fmtps.set(fmtp[1], fmtp[2]);
  }
  const rtpmapOf = (pt: string) => rtpmaps.get(pt) ?? STATIC_RTPMAPS.get(pt);
  const codec = payloads.find((pt) => rtpmapOf(pt) !== undefined && !COMPANIONS.test(rtpmapOf(pt)!));
  if (codec === undefined) throw new ValidationError('offer has no audio codec');
  const clock = rtpmapOf(codec)!.split('/')[1];
  const event = payloads.find(
    (pt) => /^telephone-event\//i.test(rtpmapOf(pt) ?? '') && rtpmapOf(pt)!.split('/')[1] === clock,
  );
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
    out.push(`a=rtpmap:${pt} ${rtpmapOf(pt)!}`);
    const fmtp = fmtpOf(pt);
    if (fmtp) out.push(`a=fmtp:${pt} ${fmtp}`);
  }
  out.push('a=sendrecv');
  return out.join('\r\n') + '\r\n';

  function fmtpOf(pt: string): string | undefined {
    // G.729 without fmtp means Annex B (silence suppression) is on; the sink says no to it, which an answer
    // may always do (RFC 4856), so neither side sends comfort-noise frames the other would have to handle.
    if (/^G729\//i.test(rtpmapOf(pt)!)) return 'annexb=no';
    return fmtps.get(pt);
  }
}
