// Pure rules of sending DTMF (rtpengine play DTMF) and of naming how a digit was received.

/** DTMF keys rtpengine's play DTMF and RFC 4733 know. */
const DTMF_KEYS = /^[0-9*#A-D]+$/;
/** Tone length when the request leaves it out, and the bounds of one (RFC 4733 receivers want ≥ 40 ms). */
export const DEFAULT_DTMF_DURATION_MS = 100;
const MIN_DTMF_DURATION_MS = 40;
const MAX_DTMF_DURATION_MS = 2000;
/** rtpengine's own pause between queued digits (its play DTMF `pause` default). */
export const DTMF_PAUSE_MS = 100;

/** The keys of a SendDtmf request, or a message naming what is wrong. */
export function dtmfKeysOf(digits: string): string[] | { error: string } {
  const upper = digits.toUpperCase();
  if (!DTMF_KEYS.test(upper)) return { error: `digits must be keys of 0-9 * # A-D, got "${digits}"` };
  return [...upper];
}

/** The tone length to send: the request's, defaulted and bounded. */
export function dtmfDurationMs(requested: number): number {
  if (!requested) return DEFAULT_DTMF_DURATION_MS;
  return Math.min(MAX_DTMF_DURATION_MS, Math.max(MIN_DTMF_DURATION_MS, requested));
}

/** True when an SDP's audio stream offers or accepts telephone-event (RFC 4733). */
export function negotiatesTelephoneEvent(sdp: string): boolean {
  return /^a=rtpmap:\d+ telephone-event\//im.test(sdp);
}

/** Where and in which codec the worker's own party sends, read from rtpengine's SDP for it. */
export interface SilenceTarget {
  address: string;
  port: number;
  payloadType: number;
  /** One byte of silence in that codec (µ-law 0xff, A-law 0xd5). */
  silence: number;
}

/**
 * The worker's own party must send media while rtpengine injects DTMF from it (rtpengine puts the events
 * into the media the sender sends; nothing flows without it, see README). The local answer takes the first
 * audio codec rtpengine offered; only G.711 has a silence the worker can make byte by byte.
 */
export function silenceTargetOf(offeredSdp: string): SilenceTarget | { error: string } {
  const address = /^c=IN IP4 (\S+)/m.exec(offeredSdp)?.[1];
  const media = /^m=audio (\d+) \S+ ([\d ]+)/m.exec(offeredSdp);
  if (!address || !media?.[1] || !media[2]) return { error: 'rtpengine offered no IPv4 audio stream' };
  const rtpmaps = new Map<number, string>();
  for (const match of offeredSdp.matchAll(/^a=rtpmap:(\d+) ([^/\s]+)/gm))
    rtpmaps.set(Number(match[1]), (match[2] ?? '').toUpperCase());
  const payloadType = media[2]
    .trim()
    .split(' ')
    .map(Number)
    .find((pt) => rtpmaps.get(pt) !== 'TELEPHONE-EVENT');
  const codec = payloadType === undefined ? undefined : (rtpmaps.get(payloadType) ?? STATIC[payloadType]);
  if (payloadType === undefined || (codec !== 'PCMU' && codec !== 'PCMA'))
    return { error: `the worker's own party sends ${codec ?? 'no codec'}; DTMF from it needs PCMU or PCMA` };
  return { address, port: Number(media[1]), payloadType, silence: codec === 'PCMU' ? 0xff : 0xd5 };
}

const STATIC: Record<number, string> = { 0: 'PCMU', 8: 'PCMA' };

/**
 * How a reported digit came: in-band when tone detection is on for the party and the party did not
 * negotiate telephone-event (rtpengine's detector is the only way its digits arrive); RFC 4733 otherwise,
 * including a party whose SDP the worker does not know (`undefined`): a party with telephone-event sends
 * events, and rtpengine's log does not tell a detected tone from an event.
 */
export function isInbandDigit(detectionOn: boolean, negotiatedTelephoneEvent: boolean | undefined): boolean {
  return detectionOn && negotiatedTelephoneEvent === false;
}
