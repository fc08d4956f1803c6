// The recorder's side of a fork (rtpengine `subscribe request` / `subscribe answer`), pure: the request
// checked, the codec each party's copy comes in, and the SDP answer that sends each copy to its sink port.
import { parseIp } from './address-policy.js';
import { UnavailableError, ValidationError } from './errors.js';

/** A StartFork request as the worker reads it. */
export interface ForkRequest {
  sessionId: string;
  forkId: string;
  /** The parties to copy, in the order of sinkPorts. */
  fromTags: readonly string[];
  sinkAddress: string;
  sinkPorts: readonly number[];
  /** Prefer 16 kHz audio: G722 rather than PCMU where rtpengine transcodes. */
  wideband: boolean;
}

/** The codecs a fork can come in: the recorder decodes these and nothing else (libs/rtp "Codec decision"). */
export type ForkCodec = 'PCMU' | 'PCMA' | 'G722';

/** One party's copy, as it arrives at the sink (callctl.media.v1.ForkedParty). */
export interface ForkedParty {
  fromTag: string;
  sinkPort: number;
  payloadType: number;
  codec: ForkCodec;
  /** RTP clock: 8000 for all three (G722 too, RFC 3551). */
  clockRate: number;
  /** Audio sample rate: 16000 for G722, 8000 for G.711. */
  sampleRate: number;
  /** RFC 4733 events in the copy; 0 = none. */
  telephoneEventPayloadType: number;
  /** rtpengine transcodes the party's audio for the fork (its own codec is none of the three). */
  transcoded: boolean;
}

/** The subscribe answer and what it makes each party's copy look like. */
export interface ForkPlan {
  answerSdp: string;
  /** In the order of the request's fromTags. */
  parties: ForkedParty[];
}

const RECORDABLE: ReadonlySet<string> = new Set<ForkCodec>(['PCMU', 'PCMA', 'G722']);

/** RFC 3551 static payload types rtpengine may offer without an rtpmap line. */
const STATIC_CODECS = new Map<number, string>([
  [0, 'PCMU/8000'],
  [8, 'PCMA/8000'],
  [9, 'G722/8000'],
]);

/**
 * What rtpengine is asked to add to every party's m-line by transcoding (`codec: { transcode }`): the party's
 * own codec stays first, these follow (measured with 10.5: a PCMA call offered `8 0 101`).
 */
export function forkTranscodeCodecs(wideband: boolean): ForkCodec[] {
  return wideband ? ['PCMU', 'G722'] : ['PCMU'];
}

/** Checks a StartFork request before anything is sent to rtpengine (ValidationError: INVALID_ARGUMENT). */
export function checkForkRequest(request: ForkRequest): void {
  const context = { sessionId: request.sessionId };
  if (!request.sessionId) throw new ValidationError('session_id is required');
  if (!request.forkId) throw new ValidationError('fork_id is required', context);
  if (request.fromTags.length === 0) throw new ValidationError('from_tags must name a party', context);
  const empty = request.fromTags.findIndex((tag) => !tag);
  if (empty >= 0) throw new ValidationError(`from_tags[${empty}] is empty`, context);
  const twice = request.fromTags.find((tag, i) => request.fromTags.indexOf(tag) !== i);
  if (twice !== undefined) throw new ValidationError(`from_tags names ${twice} twice`, context);
  // The fork's to-tag would turn that party into a subscriber of the others (seen with 10.5): its call breaks.
  if (request.fromTags.includes(request.forkId))
    throw new ValidationError(`fork_id ${request.forkId} is one of the forked parties' tags`, context);
  if (request.sinkPorts.length !== request.fromTags.length)
    throw new ValidationError(
      `sink_ports has ${request.sinkPorts.length} ports for ${request.fromTags.length} parties`,
      context,
    );
  const badPort = request.sinkPorts.find((port) => !Number.isInteger(port) || port < 1 || port > 65535);
  if (badPort !== undefined) throw new ValidationError(`bad sink port: ${badPort}`, context);
  if (new Set(request.sinkPorts).size !== request.sinkPorts.length)
    throw new ValidationError('sink_ports must differ (one per party)', context);
  sinkAddressLine(request.sinkAddress, request.sessionId);
}

/** The c= line for the sink: an IPv4 or IPv6 literal that a packet can be sent to. */
function sinkAddressLine(address: string, sessionId: string): string {
  const ip = parseIp(address);
  if (ip === undefined || ip === 0n || ip === 0xffff00000000n)
    throw new ValidationError(`sink_address must be an IP address: ${address || '(empty)'}`, { sessionId });
  return address.includes(':') ? `c=IN IP6 ${address.replace(/^\[|\]$/g, '')}` : `c=IN IP4 ${address}`;
}

/** One m-line of rtpengine's subscribe request SDP (the copy of one party's stream). */
interface OfferedMedia {
  media: string;
  payloadTypes: number[];
  /** rtpmap by payload type, e.g. `PCMU/8000`. */
  rtpmaps: Map<number, string>;
  fmtps: Map<number, string>;
}

function offeredMedia(sdp: string): OfferedMedia[] {
  const sections: OfferedMedia[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^m=(\S+) \d+ \S+ ?(.*)$/.exec(line);
    if (m) {
      sections.push({
        media: m[1]!,
        payloadTypes: (m[2] ?? '').split(' ').filter(Boolean).map(Number),
        rtpmaps: new Map(),
        fmtps: new Map(),
      });
      continue;
    }
    const section = sections.at(-1);
    const rtpmap = /^a=rtpmap:(\d+) (\S+)/.exec(line);
    if (section && rtpmap) section.rtpmaps.set(Number(rtpmap[1]), rtpmap[2]!);
    const fmtp = /^a=fmtp:(\d+) (.+)$/.exec(line);
    if (section && fmtp) section.fmtps.set(Number(fmtp[1]), fmtp[2]!);
  }
  return sections;
}

function rtpmapOf(media: OfferedMedia, payloadType: number): string | undefined {
  return media.rtpmaps.get(payloadType) ?? STATIC_CODECS.get(payloadType);
}

/** The codec name of a payload type (`PCMU`, `opus`, ...), upper case for the three the fork can take. */
function codecName(media: OfferedMedia, payloadType: number): string | undefined {
  const name = rtpmapOf(media, payloadType)?.split('/')[0];
  if (name === undefined) return undefined;
  return RECORDABLE.has(name.toUpperCase()) ? name.toUpperCase() : name;
}

interface CodecChoice {
  payloadType: number;
  codec: ForkCodec;
  transcoded: boolean;
  telephoneEvent?: number;
}

/**
 * The one codec of a party's copy. rtpengine lists the party's own codec first: it is taken when it is PCMU,
 * PCMA or G722 (no transcoding, a G.722 party is recorded at 16 kHz as it speaks). Otherwise PCMU, or G722
 * when `wideband`, which rtpengine then transcodes to for the fork only. Telephone-event at 8000 is kept
 * when offered (the recorder tells it apart by its payload type).
 */
function chooseCodec(media: OfferedMedia, wideband: boolean): CodecChoice | undefined {
  const audio = media.payloadTypes.filter(
    (pt) => !/^(telephone-event|CN)$/i.test(codecName(media, pt) ?? ''),
  );
  const own = audio[0];
  const byName = (name: ForkCodec) => audio.find((pt) => codecName(media, pt) === name);
  let choice: { payloadType: number; codec: ForkCodec } | undefined;
  if (own !== undefined && RECORDABLE.has(codecName(media, own) ?? ''))
    choice = { payloadType: own, codec: codecName(media, own) as ForkCodec };
  else {
    const preferred: ForkCodec[] = wideband ? ['G722', 'PCMU'] : ['PCMU'];
    for (const name of preferred) {
      const payloadType = byName(name);
      if (payloadType !== undefined) {
        choice = { payloadType, codec: name };
        break;
      }
    }
  }
  if (!choice) return undefined;
  const telephoneEvent = media.payloadTypes.find((pt) =>
    /^telephone-event\/8000$/i.test(rtpmapOf(media, pt) ?? ''),
  );
  return {
    ...choice,
    transcoded: choice.payloadType !== own,
    ...(telephoneEvent !== undefined ? { telephoneEvent } : {}),
  };
}

/**
 * The subscribe answer for rtpengine's subscribe request SDP `offerSdp`, whose m-lines are the parties of
 * `offeredTags` in that order (its reply's `from-tags`: one m-line per party, checked here). Each m-line is
 * answered `recvonly` (rtpengine's is `sendonly`) at the sink port the request gave its party, with one
 * audio codec (plus telephone-event when offered); the answer goes with `allow transcoding`, without which
 * rtpengine would expect every offered codec accepted.
 */
export function forkPlan(request: ForkRequest, offerSdp: string, offeredTags: readonly string[]): ForkPlan {
  const connection = sinkAddressLine(request.sinkAddress, request.sessionId);
  const medias = offeredMedia(offerSdp);
  if (medias.length !== offeredTags.length || medias.some((m) => m.media !== 'audio'))
    throw new UnavailableError(
      `rtpengine offered ${medias.length} streams (${medias.map((m) => m.media).join(', ')}) for ${offeredTags.length} parties; a fork takes parties with one audio stream each`,
      { sessionId: request.sessionId },
    );
  const lines = ['v=0', `o=- 1 1 ${connection.slice(2)}`, 's=callctl-fork', connection, 't=0 0'];
  const byTag = new Map<string, ForkedParty>();
  medias.forEach((media, index) => {
    const tag = offeredTags[index]!;
    const at = request.fromTags.indexOf(tag);
    if (at < 0)
      throw new UnavailableError(`rtpengine forked party ${tag}, which the request did not name`, {
        sessionId: request.sessionId,
      });
    const choice = chooseCodec(media, request.wideband);
    if (!choice)
      throw new UnavailableError(
        `rtpengine offers party ${tag}'s copy in none of PCMU, PCMA, G722: ${media.payloadTypes.join(' ')}`,
        { sessionId: request.sessionId, tag },
      );
    const sinkPort = request.sinkPorts[at]!;
    const formats = [
      choice.payloadType,
      ...(choice.telephoneEvent !== undefined ? [choice.telephoneEvent] : []),
    ];
    lines.push(`m=audio ${sinkPort} RTP/AVP ${formats.join(' ')}`);
    for (const pt of formats) {
      lines.push(`a=rtpmap:${pt} ${rtpmapOf(media, pt)!}`);
      const fmtp = media.fmtps.get(pt);
      if (fmtp) lines.push(`a=fmtp:${pt} ${fmtp}`);
    }
    lines.push('a=ptime:20', 'a=recvonly');
    byTag.set(tag, {
      fromTag: tag,
      sinkPort,
      payloadType: choice.payloadType,
      codec: choice.codec,
      clockRate: 8000,
      sampleRate: choice.codec === 'G722' ? 16000 : 8000,
      telephoneEventPayloadType: choice.telephoneEvent ?? 0,
      transcoded: choice.transcoded,
    });
  });
  const parties = request.fromTags.map((tag) => {
    const party = byTag.get(tag);
    if (!party)
      throw new UnavailableError(`rtpengine did not fork party ${tag}`, {
        sessionId: request.sessionId,
        tag,
      });
    return party;
  });
  return { answerSdp: lines.join('\r\n') + '\r\n', parties };
}
