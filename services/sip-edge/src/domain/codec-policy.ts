// The platform's codec policy: which audio codecs it allows and in which order it prefers them, applied to
// every SDP offer sip-edge hands to rtpengine. Pure: it reads SDP text and says what rtpengine should mask
// and transcode; the media-worker client carries that out.

/**
 * The codecs rtpengine 10.5 here can both decode and encode (research: rtpengine.md, "Transcode"), spelled
 * as rtpengine's codec options name them. G.723.1 is left out: it fails at 20 ms ptime.
 */
export const POLICY_CODECS = ['PCMU', 'PCMA', 'G722', 'opus', 'G729', 'GSM'] as const;
export type PolicyCodec = (typeof POLICY_CODECS)[number];

/**
 * The default order: G.711 first because every SIP peer has it and it needs no transcoding CPU; G.722
 * next (wideband for the price of a cheap ADPCM transcode); opus after it, since transcoding opus costs
 * about 2 % of a core per call, the most of all (rtpengine.md §6); the narrow low-bitrate codecs last.
 */
export const DEFAULT_CODEC_POLICY = 'PCMU,PCMA,G722,opus,G729,GSM';

/** Allowed codecs, most preferred first. */
export interface CodecPolicy {
  readonly order: readonly PolicyCodec[];
}

/** What rtpengine should do with an offer: codecs removed towards the other party, codecs added. */
export interface CodecOptions {
  readonly mask: string[];
  readonly transcode: string[];
}

/** The policy's refusal of an offer; `reason` names the allowed codecs (488 Warning, error details). */
export type LocalAnswerCodecs =
  | { readonly usable: true; readonly codec: PolicyCodec; readonly options: CodecOptions }
  | { readonly usable: false; readonly reason: string };

/** RFC 3551 static payload types of the policy's codecs, usable without an rtpmap line. */
const STATIC_PAYLOAD_TYPES = new Map<number, string>([
  [0, 'pcmu'],
  [3, 'gsm'],
  [8, 'pcma'],
  [9, 'g722'],
  [18, 'g729'],
]);

/** Not audio codecs: they ride along with one and are never masked. */
const COMPANIONS = new Set(['telephone-event', 'cn']);

/**
 * Parses a comma-separated codec list (case-insensitive names of POLICY_CODECS). Throws an Error naming the
 * unknown or repeated entry; config.ts turns it into a config error at start.
 */
export function parseCodecPolicy(text: string): CodecPolicy {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.length === 0) throw new Error(`expected at least one of ${POLICY_CODECS.join(', ')}`);
  const order: PolicyCodec[] = [];
  for (const name of names) {
    const codec = POLICY_CODECS.find((known) => known.toLowerCase() === name.toLowerCase());
    if (!codec) throw new Error(`unknown codec ${name}: expected some of ${POLICY_CODECS.join(', ')}`);
    if (order.includes(codec)) throw new Error(`codec ${codec} listed twice`);
    order.push(codec);
  }
  return { order };
}

/**
 * The audio codec names (lower case, as in rtpmap) of the first live m=audio stream, in the offer's order;
 * telephone-event and CN left out.
 */
export function offeredCodecs(sdp: string): string[] {
  const lines = sdp.split(/\r?\n/);
  const rtpmaps = new Map<number, string>();
  let payloadTypes: number[] | undefined;
  let inAudio = false;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      if (payloadTypes) break;
      const fields = line.slice(2).split(' ');
      inAudio = fields[0] === 'audio' && Number(fields[1]?.split('/')[0]) > 0;
      if (inAudio) payloadTypes = fields.slice(3).filter(Boolean).map(Number);
      continue;
    }
    const rtpmap = inAudio ? /^a=rtpmap:(\d+) ([^/\s]+)/.exec(line) : null;
    if (rtpmap) rtpmaps.set(Number(rtpmap[1]), rtpmap[2]!.toLowerCase());
  }
  const names: string[] = [];
  for (const pt of payloadTypes ?? []) {
    const name = rtpmaps.get(pt) ?? STATIC_PAYLOAD_TYPES.get(pt);
    if (name && !COMPANIONS.has(name) && !names.includes(name)) names.push(name);
  }
  return names;
}

/** The first codec in policy order that the offer has; undefined when it has none of them. */
export function chooseCodec(policy: CodecPolicy, sdp: string): PolicyCodec | undefined {
  const offered = new Set(offeredCodecs(sdp));
  return policy.order.find((codec) => offered.has(codec.toLowerCase()));
}

/**
 * For an offer the platform answers itself: every offered codec but the chosen one is masked, so rtpengine
 * offers the platform's party that codec alone (with telephone-event) and the caller's answer names only it.
 */
export function localAnswerCodecs(policy: CodecPolicy, sdp: string): LocalAnswerCodecs {
  const codec = chooseCodec(policy, sdp);
  if (!codec)
    return { usable: false, reason: `no codec the platform allows (${policy.order.join(', ')}) offered` };
  const mask = offeredCodecs(sdp).filter((name) => name !== codec.toLowerCase());
  return { usable: true, codec, options: { mask, transcode: [] } };
}

/**
 * For an offer that goes on to another party (a dialled or bridged leg): what is offered there is exactly
 * the policy's codecs. The offerer's own allowed codecs come first, in policy order, because the far end
 * usually takes the first it has and those need no transcoding (rtpengine passes a masked codec that is
 * transcoded back in straight through); the other allowed codecs follow, transcoded, so a caller with only
 * G.729 still reaches a PCMU-only callee. Codecs outside the policy are masked.
 */
export function outboundOfferCodecs(policy: CodecPolicy, sdp: string): CodecOptions {
  const offered = offeredCodecs(sdp);
  const has = (codec: PolicyCodec) => offered.includes(codec.toLowerCase());
  return {
    mask: offered,
    transcode: [...policy.order.filter(has), ...policy.order.filter((codec) => !has(codec))],
  };
}
