// Whether an INVITE's SDP offer is one the platform can answer, decided from the text alone before any fact
// is published: junk must get its 488 at once instead of becoming a recorded call that rings until a
// timeout. rtpengine has the last word (it can still refuse an offer that passes); this check only sheds
// what it would certainly refuse, cheaply.

/** The verdict on an offer; `reason` goes to the caller in the 488's Warning and to the log. */
export type OfferCheck = { usable: true } | { usable: false; reason: string };

/**
 * Audio codecs the platform's rtpengine can both decode and encode (`rtpengine --codecs`: "fully
 * supported"), by rtpmap encoding name, lower case. telephone-event and CN ride along but carry no audio.
 */
const TRANSCODABLE_CODECS = new Set([
  'pcmu',
  'pcma',
  'g722',
  'g723',
  'g729',
  'g729a',
  'gsm',
  'speex',
  'opus',
]);

/** Static payload types (RFC 3551) of those codecs, usable without an rtpmap line. */
const STATIC_CODECS = new Map([
  [0, 'pcmu'],
  [3, 'gsm'],
  [4, 'g723'],
  [8, 'pcma'],
  [9, 'g722'],
  [18, 'g729'],
]);

/** Above this the text is not an offer but an attack; rtpengine's own limit is lower still. */
const MAX_OFFER_BYTES = 16 * 1024;

interface MediaSection {
  port: number;
  payloadTypes: number[];
  connection: boolean;
  rtpmaps: Map<number, string>;
}

export function checkOffer(sdp: string): OfferCheck {
  if (sdp.length > MAX_OFFER_BYTES) return refuse(`SDP larger than ${MAX_OFFER_BYTES} bytes`);
  const lines = sdp.split(/\r?\n/).filter((line) => line.length > 0);
  if (lines[0] !== 'v=0') return refuse('SDP does not start with v=0');
  let sessionConnection = false;
  const audio: MediaSection[] = [];
  let current: MediaSection | undefined;
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) return refuse(`malformed SDP line: ${line.slice(0, 40)}`);
    const value = line.slice(2);
    switch (line[0]) {
      case 'm': {
        current = undefined;
        if (!line.startsWith('m=audio ')) break;
        const section = mediaSection(value);
        if (typeof section === 'string') return refuse(section);
        current = section;
        audio.push(section);
        break;
      }
      case 'c': {
        if (!isConnection(value)) return refuse(`malformed c= line: ${value.slice(0, 40)}`);
        if (current) current.connection = true;
        else if (audio.length === 0) sessionConnection = true;
        break;
      }
      case 'a': {
        const rtpmap = /^rtpmap:(\d+) ([^/\s]+)\//.exec(value);
        if (current && rtpmap) current.rtpmaps.set(Number(rtpmap[1]), rtpmap[2]!.toLowerCase());
        break;
      }
    }
  }
  if (audio.length === 0) return refuse('no m=audio stream');
  const live = audio.filter((section) => section.port > 0);
  if (live.length === 0) return refuse('every audio stream has port 0');
  if (live.some((section) => !section.connection && !sessionConnection))
    return refuse('no c= line for the audio stream');
  if (!live.some(hasTranscodableCodec)) return refuse('no audio codec the platform supports');
  return { usable: true };
}

function refuse(reason: string): OfferCheck {
  return { usable: false, reason };
}

/** `<port>[/<count>] <proto> <fmt> ...` of an m=audio line, or what is wrong with it. */
function mediaSection(value: string): MediaSection | string {
  const [, portField = '', proto = '', ...formats] = value.split(' ');
  const port = Number(portField.split('/')[0]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return `bad port in m=audio: ${portField}`;
  if (!/^(UDP\/TLS\/)?RTP\/S?AVPF?$/.test(proto)) return `m=audio transport not RTP: ${proto}`;
  const payloadTypes = formats.filter((f) => f.length > 0).map(Number);
  if (payloadTypes.length === 0 || payloadTypes.some((pt) => !Number.isInteger(pt) || pt < 0 || pt > 127))
    return 'bad payload types in m=audio';
  return { port, payloadTypes, connection: false, rtpmaps: new Map() };
}

/** `IN IP4 <address>` or `IN IP6 <address>` (an optional /ttl ignored). */
function isConnection(value: string): boolean {
  const [network, addressType, address = ''] = value.split(' ');
  if (network !== 'IN') return false;
  if (addressType === 'IP4') {
    const octets = address.split('/')[0]!.split('.');
    return octets.length === 4 && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
  }
  if (addressType === 'IP6') return /^[0-9a-fA-F:.]+$/.test(address) && address.includes(':');
  return false;
}

function hasTranscodableCodec(section: MediaSection): boolean {
  return section.payloadTypes.some((pt) => {
    const name = section.rtpmaps.get(pt) ?? STATIC_CODECS.get(pt);
    return name !== undefined && TRANSCODABLE_CODECS.has(name);
  });
}
